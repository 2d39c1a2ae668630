"""The baseline for ``web_load.py``: a bare Litestar app rendering a comparable Jinja page.

No database, no sessions, no CSRF, no i18n, no security headers: what is
left is Uvicorn + Litestar routing + a Jinja template with a layout, a
navigation, a loop and about as many bytes as Tandem's landing page.

    uvicorn --app-dir benchmarks --factory bare_app:create_app
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="{{ locale }}" dir="ltr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %} · Tandem</title>
  <link rel="stylesheet" href="/static/tandem.css">
</head>
<body>
  <header>
    <a class="brand" href="/">Tandem</a>
    <nav>{% for href, label in nav %}<a href="{{ href }}">{{ label }}</a> {% endfor %}</nav>
    <form method="get" action="/"><select name="lang">
      {% for code, name in languages %}
      <option value="{{ code }}"{% if code == locale %} selected{% endif %}>{{ name }}</option>
      {% endfor %}
    </select><button>OK</button></form>
  </header>
  <main>{% block content %}{% endblock %}</main>
  <footer><a href="/privacy">Datenschutz</a> · <a href="/imprint">Impressum</a></footer>
</body>
</html>
""",
    "page.html": """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<h1>{{ title }}</h1>
{% for paragraph in paragraphs %}
<p>{{ paragraph }}</p>
{% endfor %}
<ul class="choices">
{% for href, label in choices %}
  <li><a class="button" href="{{ href }}">{{ label }}</a></li>
{% endfor %}
</ul>
{% endblock %}
""",
}

LANGUAGES = [
    ("de", "Deutsch"),
    ("en", "English"),
    ("ar", "العربية"),
    ("fa", "فارسی"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("tr", "Türkçe"),
    ("ti", "ትግርኛ"),
    ("ku", "Kurmancî"),
]
PARAGRAPH = (
    "Tandem bringt Menschen zusammen, die neu in der Region sind, und Menschen, die hier "
    "zu Hause sind: zum Deutschüben, für Behördengänge, zum Kochen und Spazierengehen."
)


@get("/", sync_to_thread=False)
def page() -> Template:
    return Template(
        template_name="page.html",
        context={
            "locale": "de",
            "title": "Gemeinsam ankommen",
            "nav": [("/", "Start"), ("/signup", "Mitmachen"), ("/login", "Anmelden")],
            "languages": LANGUAGES,
            "paragraphs": [PARAGRAPH] * 6,
            "choices": [("/signup/local", "Ich möchte helfen"), ("/signup/newcomer", "Ich suche")],
        },
    )


@get("/healthz", sync_to_thread=False, media_type="text/plain")
def healthz() -> str:
    return "ok"


def create_app() -> Litestar:
    environment = Environment(
        loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    return Litestar(
        route_handlers=[page, healthz],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
        openapi_config=None,
    )
