"""Stored XSS in a real browser (SECURITY.md XSS-1c): people, notes, a check-in answer and a
problem report carry the payloads; a coordinator opens the pages that show them. No dialog
opens, no payload becomes an element or an event handler, ``window.__xss`` stays unset, and
the payloads are on the page as text.

The content security policy would block an inline script anyway; this test asks for more:
the markup must never reach the DOM.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer
from tests.security.xss_payloads import PAYLOADS, blob, stored
from web.core.db import transaction
from web.core.models import CheckIn, Note, ProblemReport, Region, Tandem, utcnow

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN = "xss-admin@example.org"
SLUG = "kassel"  # the module server's region (conftest)
MARKER = '<img src=x onerror="window.__xss=1">'
assert MARKER in PAYLOADS  # noqa: S101
# Any element of a payload, or an event-handler attribute anywhere in the page.
INJECTED = (
    "img[src='x'], svg[onload], [onerror], [onload], [onfocus], [ontoggle], "
    "iframe, a[href^='javascript:' i]"
)
HANDLERS = """() => [...document.querySelectorAll('*')].flatMap(el =>
    [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))"""


def seed(live_server: LiveServer) -> dict[str, str]:
    """A coordinator whose name is a payload, two partners in an active tandem, a suggestion
    and a sign-up waiting for review; every free text is a payload. Returns page paths."""
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            region = session.scalars(select(Region).where(Region.slug == SLUG)).one()
            author = make_coordinator(session, ADMIN, role="admin", regions=[region])
            author.display_name = PAYLOADS[1]
            people = []
            for index, (role, status) in enumerate(
                [("local", "active"), ("newcomer", "active"), ("local", "active"),
                 ("newcomer", "active"), ("newcomer", "pending")]
            ):  # fmt: skip
                people.append(
                    make_participant(
                        session,
                        region,
                        role=role,
                        status=status,
                        first_name=stored(PAYLOADS[index * 2 % len(PAYLOADS)]),
                        last_name=stored(PAYLOADS[(index * 2 + 1) % len(PAYLOADS)]),
                        about_me=blob(500),
                        verified_at=now,
                        approved_at=now if status == "active" else None,
                        waiting_since=now.date() - timedelta(days=9),
                    )
                )
            local, newcomer, other_local, other_newcomer, _pending = people
            tandem = Tandem(
                local_id=local.id,
                newcomer_id=newcomer.id,
                region_id=region.id,
                status="active",
                score=0.8,
                started_at=now - timedelta(days=40),
                proposed_at=now - timedelta(days=42),
            )
            suggestion = Tandem(
                local_id=other_local.id,
                newcomer_id=other_newcomer.id,
                region_id=region.id,
                status="suggested",
                score=0.7,
                reasons=[{"code": "practice_language", "for": "newcomer", "items": ["de"]}],
            )
            session.add_all([tandem, suggestion])
            session.flush()
            session.add_all(
                [
                    Note(author_id=author.id, participant_id=newcomer.id, body=blob(2000)),
                    Note(author_id=author.id, tandem_id=tandem.id, body=blob(2000)),
                    CheckIn(
                        tandem_id=tandem.id,
                        role="local",
                        kind="fit_check",
                        sent_at=now - timedelta(days=2),
                        answered_at=now - timedelta(days=1),
                        meetings="rarely",
                        mood=1,
                        note=blob(1000),
                        needs_attention=True,
                    ),
                    ProblemReport(
                        tandem_id=tandem.id,
                        reporter_role="newcomer",
                        kind="not_ok",
                        note=blob(1000),
                    ),  # fmt: skip
                ]
            )
            session.flush()
            return {
                "newcomer": f"/coordinator/participants/{newcomer.public_id}",
                "tandem": f"/coordinator/tandems/{tandem.public_id}",
            }
    finally:
        engine.dispose()


def assert_nothing_ran(page: Page, dialogs: list[str]) -> None:
    path = page.url
    assert dialogs == [], (path, dialogs)
    assert page.locator(INJECTED).count() == 0, path
    assert page.evaluate(HANDLERS) == [], path
    assert page.locator("script:not([src])").count() == 0, path
    assert page.evaluate("() => typeof window.__xss") == "undefined", path


def test_no_stored_payload_runs_on_the_coordinator_pages(new_context, live_server):
    from playwright.sync_api import expect

    paths = seed(live_server)
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto("/login?lang=en")
    page.locator("form[action='/login'] input[name=email]").fill(ADMIN)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator.*"))

    for path in (
        "/coordinator/",
        "/coordinator/review",
        "/coordinator/participants",
        paths["newcomer"],
        paths["tandem"],
        f"/coordinator/regions/{SLUG}/suggestions",
        f"/coordinator/audit/?action={MARKER[:60]}",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
        assert_nothing_ran(page, dialogs)
        if path in paths.values():
            # The payloads are there, as text the coordinator can read.
            expect(page.locator("h1")).to_contain_text(PAYLOADS[2])
            expect(page.locator("main")).to_contain_text(MARKER)
            expect(page.locator("main")).to_contain_text(PAYLOADS[0])
    # The reflected search term is kept in its field, as typed.
    expect(page.locator("input[name=action]")).to_have_value(MARKER[:60])
    # Focus and click through the fields a payload tried to hijack: still nothing runs.
    page.goto(paths["tandem"])
    page.keyboard.press("Tab")
    page.locator("main").click()
    assert_nothing_ran(page, dialogs)
