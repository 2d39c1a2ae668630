"""The catalogues use one word per concept, the one web/translations/glossary.toml accepts."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import cache

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from web.core.i18n import LOCALES, TRANSLATIONS_DIR

GLOSSARY = tomllib.loads((TRANSLATIONS_DIR / "glossary.toml").read_text(encoding="utf-8"))
TRANSLATED = [code for code in LOCALES if code != "en"]
CONCEPTS = list(GLOSSARY)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


@cache
def catalogue(locale: str) -> Catalog:
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def english(message: Message) -> str:
    """The singular id without placeholders: %(partner)s is a name, not the word partner."""
    message_id = message.id if isinstance(message.id, str) else message.id[0]
    return PLACEHOLDER.sub("", message_id)


def translations(message: Message) -> Iterator[str]:
    yield from (message.string if isinstance(message.string, tuple) else (message.string,))


def test_every_concept_has_a_term_for_every_language():
    assert {"tandem", "partner", "local", "newcomer", "coordinator", "proposal", "check-in"} <= set(
        CONCEPTS
    )
    for concept, entry in GLOSSARY.items():
        missing = set(TRANSLATED) - set(entry)
        assert not missing, f"{concept}: no term for {missing}"
        for locale in TRANSLATED:
            assert entry[locale]["term"] and entry[locale]["why"], (concept, locale)
            assert re.search(entry[locale]["accepted"], entry[locale]["term"], re.IGNORECASE)


@pytest.mark.parametrize("locale", TRANSLATED)
@pytest.mark.parametrize("concept", CONCEPTS)
def test_messages_naming_a_concept_use_its_accepted_word(concept, locale):
    entry = GLOSSARY[concept]
    accepted = entry[locale]["accepted"]
    if concept == "tandem":
        accepted += "|Tandem"  # the programme's name, in Latin letters everywhere
    source, skip = re.compile(entry["source"], re.IGNORECASE), set(entry["skip"])
    wrong = [
        (english(message), text)
        for message in catalogue(locale)
        if message.id and message.id not in skip and source.search(english(message))
        for text in translations(message)
        if text and not re.search(accepted, text, re.IGNORECASE)
    ]
    assert not wrong, f"{locale} says {concept} without «{entry[locale]['term']}»: {wrong[:5]}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_message_uses_a_forbidden_variant(locale):
    forbidden = {
        variant: concept
        for concept, entry in GLOSSARY.items()
        for variant in entry[locale]["forbidden"]
    }
    found = [
        (variant, forbidden[variant], english(message), text)
        for message in catalogue(locale)
        if message.id
        for text in translations(message)
        for variant in forbidden
        if variant.casefold() in text.casefold()
    ]
    assert not found, f"{locale}: {found[:5]}"


def test_the_glossary_catches_what_the_translator_found():
    # The review's findings, checked against the rules themselves (so a loosened rule fails).
    def breaks(locale: str, concept: str, text: str) -> bool:
        rules = GLOSSARY[concept][locale]
        return not re.search(rules["accepted"], text, re.IGNORECASE) or any(
            variant.casefold() in text.casefold() for variant in rules["forbidden"]
        )

    assert breaks("de", "partner", "Meine Tandem-Person antwortet nicht")
    assert breaks("de", "partner", "nie die andere Person im Tandem")
    assert breaks("de", "partner", "Wir suchen eine passende Person für Sie.")
    assert breaks("ar", "tandem", "إنهاء الشراكة")
    assert breaks("ru", "partner", "Я хочу встречаться с")
    assert not breaks("de", "partner", "Ihr*e Tandempartner*in")
    assert not breaks("ar", "tandem", "إنهاء التاندم")
