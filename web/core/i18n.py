"""Locales, catalogues and the per-request language.

Message ids are English; German is the default locale. Catalogues are the
``.po`` files under ``web/translations`` (Babel), compiled in memory when
first used, so there is no build step and no compiled file to forget.
Text direction comes from the locale data (CLDR), never from a list here.

A locale code is the catalogue's folder name and the value of ``?lang=`` and the
cookie (``fa_AF``); pages and e-mails name the language with its BCP 47 tag
(``fa-AF``). Dari (``fa_AF``) is a language of its own here, not a variant of
Iranian Persian: its catalogue uses Afghan words, and its name in the language
switch is "دری" next to "فارسی".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from babel import Locale
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from markupsafe import Markup, escape

from web.core.scope import scope_of

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"  # web/translations
LOCALES = ("de", "en", "ar", "fa", "fa_AF", "uk", "ru", "tr")
# Browsers may name Dari by its ISO 639-3 code (``prs``, ``prs-AF``) instead of ``fa-AF``.
LANGUAGE_ALIASES = {"prs": "fa_AF"}
DEFAULT_LOCALE = "de"
COOKIE = "tandem_lang"
QUERY_PARAM = "lang"
_SCOPE_KEY = "tandem.locale"
_SCOPE_CHOSEN = "tandem.locale_chosen"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class UILocale:
    code: str  # the catalogue's code, e.g. "fa_AF"
    tag: str  # BCP 47, for lang="" and Content-Language, e.g. "fa-AF"
    name: str  # the language's own name, e.g. "العربية", "دری"
    direction: str  # "ltr" or "rtl"


def language_tag(code: str) -> str:
    """The BCP 47 tag of a locale code: ``fa_AF`` → ``fa-AF`` (HTML and e-mail want hyphens)."""
    return code.replace("_", "-")


@cache
def ui_locale(code: str) -> UILocale:
    locale = Locale.parse(code)
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    # CLDR names fa_AF "فارسی (افغانستان)" but has the name Afghans use for their own
    # language, "دری", among its language names; plain codes get their usual name.
    name = locale.languages.get(code) or locale.get_display_name(code) or code
    return UILocale(code=code, tag=language_tag(code), name=name, direction=direction)


_CANONICAL = {code.lower(): code for code in LOCALES}


def from_language_tag(tag: str) -> str | None:
    """One of LOCALES for a browser's language tag, or None: ``fa-AF`` and ``fa-Arab-AF`` →
    ``fa_AF``, ``prs`` → ``fa_AF``, ``fa-IR`` → ``fa``, ``DE-de`` → ``de``."""
    parts = tag.strip().replace("-", "_").lower().split("_")
    if not parts[0]:
        return None
    if parts[0] in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[parts[0]]
    with_region = f"{parts[0]}_{parts[-1]}" if len(parts) > 1 else parts[0]
    return _CANONICAL.get(with_region) or _CANONICAL.get(parts[0])


def from_accept_language(header: str) -> str | None:
    """The first language of an ``Accept-Language`` header that we have, in the order of
    the browser's preference (``q``), or None."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        code = from_language_tag(tag)
        if code:
            return code
    return None


@cache
def translations(code: str) -> NullTranslations:
    """The catalogue for ``code``; English (the message ids) needs none."""
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def negotiate(request: Request) -> str:
    """The request's locale: an explicit ``?lang=`` choice, then the cookie, then the browser,
    then the configured default."""
    cached = scope_of(request).get(_SCOPE_KEY)
    if cached:
        return cached
    chosen = request.query_params.get(QUERY_PARAM)
    if chosen in LOCALES:
        scope_of(request)[_SCOPE_CHOSEN] = chosen
        code = chosen
    elif request.cookies.get(COOKIE) in LOCALES:
        code = request.cookies[COOKIE]
    else:
        header = request.headers.get("accept-language", "")
        code = from_accept_language(header) or _default(request)
    scope_of(request)[_SCOPE_KEY] = code
    return code


async def remember_chosen_locale(message: Any, scope: Any) -> None:
    """``before_send`` hook: keep an explicit language choice in a cookie."""
    if message["type"] == "http.response.start" and scope.get(_SCOPE_CHOSEN):
        headers = MutableScopeHeaders.from_message(message)
        headers.add(
            "set-cookie",
            f"{COOKIE}={scope[_SCOPE_CHOSEN]}; Path=/; Max-Age=31536000; SameSite=Lax",
        )


def _default(request: Request) -> str:
    configured = request.app.state.settings.default_locale
    return configured if configured in LOCALES else DEFAULT_LOCALE


def gettext_for(request: Request) -> NullTranslations:
    return translations(negotiate(request))


# Jinja callables: they find the request in the template context, so every
# template is translated into the request's locale without passing it around.
@pass_context
def _jinja_gettext(context: Any, message: str) -> str:
    return gettext_for(context["request"]).gettext(message)


@pass_context
def _jinja_ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return gettext_for(context["request"]).ngettext(singular, plural, n)


@pass_context
def _jinja_pgettext(context: Any, message_context: str, message: str) -> str:
    """``pgettext``: the same English word in another sense (``msgctxt``) gets its own
    translation."""
    # babel annotates pgettext as ``str | object``; it returns the message when untranslated
    return cast(str, gettext_for(context["request"]).pgettext(message_context, message))


@cache
def _translated_labels(code: str, items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    gettext = translations(code).gettext
    return {key: gettext(label) for key, label in items}


@pass_context
def _jinja_labels(context: Any, mapping: dict[str, str]) -> dict[str, str]:
    """A vocabulary's labels (key → message id) in the request's language, translated once
    per process: a form with hundreds of options spent most of its time in ``_()``."""
    return _translated_labels(negotiate(context["request"]), tuple(mapping.items()))


@cache
def language_name(code: str, *, reader: str) -> str:
    """The name of the page language ``code`` in the ``reader``'s language, so a coordinator
    reads "Dari" and "Persisch" rather than ``fa_AF`` and ``fa``."""
    names = Locale.parse(reader).languages
    return names.get(code) or names.get(code.split("_")[0]) or code


@pass_context
def _jinja_language_name(context: Any, code: str) -> str:
    return language_name(code, reader=negotiate(context["request"]))


@pass_context
def _jinja_format_list(context: Any, items: Any) -> Markup:
    """``items`` joined as the request's language writes a list ("a، b، و c" in Persian).
    Each item is escaped unless it is markup already (a translated label)."""
    joined = format_list(
        [str(escape(item)) for item in items], locale=negotiate(context["request"])
    )
    return Markup(joined)  # noqa: S704 (every item escaped; CLDR's patterns carry no markup)


@pass_context
def _jinja_ui(context: Any) -> UILocale:
    return ui_locale(negotiate(context["request"]))


def install(environment: Any) -> None:
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(
        _jinja_gettext, _jinja_ngettext, newstyle=True, pgettext=_jinja_pgettext
    )
    environment.globals["ui_locale"] = _jinja_ui
    environment.globals["labels"] = _jinja_labels
    environment.globals["language_name"] = _jinja_language_name
    environment.globals["format_list"] = _jinja_format_list
    environment.globals["available_locales"] = [ui_locale(code) for code in LOCALES]


def choose(request: Request, code: str) -> bool:
    """Switch the request to ``code`` (kept in the cookie); False for an unknown locale."""
    if code not in LOCALES:
        return False
    scope_of(request)[_SCOPE_KEY] = code
    scope_of(request)[_SCOPE_CHOSEN] = code
    return True
