"""Every message is translated in every locale; the catalogue template is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from web.core.i18n import LOCALES, TRANSLATIONS_DIR
from web.core.settings import ROOT


def key(message: Message) -> tuple[str | None, str]:
    """A message's identity: its context (``pgettext``) and its singular id."""
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def extracted(tmp_path: Path) -> list[Message]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "--add-comments=Translators:",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> list[Message]:
    """The messages of the source as it is now (extracted once for the module)."""
    return extracted(tmp_path_factory.mktemp("pot"))


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_every_message_is_translated(locale, template):
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    translated = {
        key(m)
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = {key(m) for m in template} - translated
    examples = sorted(missing, key=str)[:5]
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {examples}"


def test_the_partner_wish_asks_about_a_tandem_partner_with_context_for_translators(template):
    # "I would like to meet" + "a woman" read like a dating form once translated; the options
    # now carry a context and the question a translator comment that says what is meant.
    by_key = {key(m): m for m in template}
    assert (None, "I would like to meet") not in by_key
    question = by_key[(None, "Would you prefer a woman or a man as your tandem partner?")]
    assert "not a date" in " ".join(question.auto_comments)
    for option in ("No preference", "A woman", "A man"):
        assert ("preferred tandem partner", option) in by_key


def test_short_words_that_mean_several_things_carry_a_comment(template):
    by_key = {key(m): m for m in template}
    for message_id in ("Running", "Cars and motorbikes", "Other", "Conflict", "Local", "Newcomer"):
        assert by_key[(None, message_id)].auto_comments, message_id
    # "Pin" a suggested pair: keep it in the next matching run (German had "Festsetzen").
    assert ("suggested pair", "Pin") in by_key and ("suggested pair", "Unpin") in by_key
