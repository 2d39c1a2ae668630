"""The baseline for ``web_load.py``: a bare Litestar app rendering comparable Jinja pages.

No database, no sessions, no CSRF, no i18n, no security headers: what is
left is Uvicorn + Litestar routing + a Jinja template.

* ``/`` compares with the landing page: a layout, a navigation, a loop and
  about as many bytes.
* ``/signup/newcomer`` compares with the sign-up form: Tandem's own form
  template (23 KB, hundreds of fields and options), rendered from a fixed
  context with untranslated labels, a fixed list of 60 places and no CSRF
  field. Against it, the benchmark measures what Tandem adds to the page
  (locale, the places query, CSRF, security headers), not the page's size.

    uvicorn --app-dir benchmarks --factory bare_app:create_app
"""

from __future__ import annotations

import sys
from pathlib import Path

from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, select_autoescape
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


TANDEM = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TANDEM))
from web.core import vocabulary  # noqa: E402 (Tandem's data only: no database, no app)
from web.core.forms import ParticipantForm  # noqa: E402
from web.core.i18n import LOCALES, ui_locale  # noqa: E402

PLACES = [f"Ort {n:02d}" for n in range(60)]  # as many as the demo serves


@get("/signup/newcomer", sync_to_thread=False)
def signup_form() -> Template:
    return Template(
        template_name="signup/form.html",
        context={
            "form": ParticipantForm(role="newcomer"),
            "mode": "signup",
            "action": "/signup/newcomer",
            "switch_form": "participant-form",
            "places": PLACES,
            "csrf_input": "",
        },
    )


def _environment() -> Environment:
    """The pages above plus Tandem's template folder, with what Tandem's templates expect
    (locale objects, vocabulary, ``labels``) but without translation."""
    environment = Environment(
        loader=ChoiceLoader([DictLoader(TEMPLATES), FileSystemLoader(TANDEM / "templates")]),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    german = ui_locale("de")
    environment.globals.update(
        ui_locale=lambda: german,
        available_locales=[ui_locale(code) for code in LOCALES],
        labels=lambda mapping: mapping,
        vocabulary=vocabulary,
    )
    return environment


@get("/healthz", sync_to_thread=False, media_type="text/plain")
def healthz() -> str:
    return "ok"


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[page, signup_form, healthz],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(_environment())),
        openapi_config=None,
    )
