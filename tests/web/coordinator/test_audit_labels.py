"""Issue 16: every action the code can write reaches the admin's audit log in words — "Data
exported, on request by phone" rather than ``participant.export.on_request.phone`` — in
the reader's language (Ada is the admin and reads German)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.audit_actions import writable_actions, writable_subject_types
from tests.builders import db, html, login, make_coordinator
from tests.worlds import every_audit_action
from web.core import vocabulary as v
from web.core.i18n import translations

TRANSLATIONS = Path(__file__).resolve().parents[3] / "web" / "translations"
LOCALES = sorted(path.name for path in TRANSLATIONS.iterdir() if path.is_dir())
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b|\bon_request\b|\b[a-z]+_[a-z_]+\b")


def test_every_action_the_code_writes_has_a_label():
    actions = writable_actions()
    # The collection sees the computed actions too, each way of asking and each answer.
    assert {
        "participant.export.on_request.phone",
        "participant.correct.on_request.paper",
        "proposal.declined.on_request.in_person",
        "checkin.answered.on_request.phone",
        "participant.registered.paper",
        "proposal.expired",
        "pair.unforbid",  # passed on by position
        "region.weights_saved",  # a parameter's default
        "tandem.paused",  # from the life cycle's table
    } <= actions
    assert [a for a in sorted(actions) if v.audit_action_label(a) is None] == []
    assert sorted(writable_subject_types() - set(v.SUBJECT_TYPE_LABELS)) == []


def test_a_label_has_the_way_the_person_asked_for_each_way():
    assert set(v.AUDIT_REQUEST_WAY_LABELS) == set(v.REQUEST_WAYS)
    assert v.audit_action_label("participant.export.on_request.phone") == (
        "Data exported",
        "on request by phone",
    )
    assert v.audit_action_label("participant.viewed") == ("Participant page viewed", "")
    assert v.audit_action_label("participant.export.on_request.fax") is None
    assert v.audit_action_label("no.such_action") is None


@pytest.mark.parametrize("locale", LOCALES)
def test_every_label_is_translated(locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    msgids = [*v.AUDIT_ACTION_LABELS.values(), *v.AUDIT_REQUEST_WAY_LABELS.values()]
    msgids += [*v.SUBJECT_TYPE_LABELS.values(), "%(action)s, %(way)s"]
    missing = [m for m in msgids if catalogue.get(m) is None or not catalogue.get(m).string]
    assert missing == []


def test_the_audit_page_in_german_shows_every_action_in_words(client, engine):
    with db(engine) as session:
        make_coordinator(session, "ada@example.org", role="admin")
        actions = every_audit_action(session, at=NOW)
    login(client, "ada@example.org")
    gettext = translations("de").gettext
    shown: dict[str, str] = {}
    address: str | None = "/coordinator/audit?lang=de"
    while address is not None:  # page by page, through the pager's "next" link
        page = html(client.get(address))
        for row in page.select("tr[data-audit]"):
            cells = row.select("td")
            shown[cells[2]["data-action"]] = " | ".join(c.get_text(" ", strip=True) for c in cells)
        following = page.select_one("nav.pager a[rel=next]")
        address = f"/coordinator/audit{following['href']}" if following else None
    assert sorted(shown) == actions  # every row reached, through the pager
    raw = {action: text for action, text in shown.items() if CODE.search(text)}
    assert raw == {}
    label, way = v.audit_action_label("participant.export.on_request.phone") or ("", "")
    assert shown["participant.export.on_request.phone"].split(" | ")[2] == (
        f"{gettext(label)}, {gettext(way)}"
    )
    assert shown["participant.export.on_request.phone"].split(" | ")[2] == (
        "Daten exportiert, auf telefonische Anfrage"
    )
