"""A coordinator's morning on a 768 px tablet, in German (issue 15, journey 4): from the
dashboard Katrin finds Yasmin Çelik by typing part of her surname without the accent,
opens her page, goes back to the dashboard and confirms two suggestions at once; then she
handles the urgent report ("I don't feel safe") that waits at the top of the dashboard,
writing what she did. No page is wider than the screen, and "Abmelden" is always in view."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import ProblemReport, Tandem, utcnow
from web.core.places import create_region

SLUG = "nordhessen"
KATRIN = "katrin@example.org"
TABLET = {"width": 768, "height": 1024}
AMALS_REPORT = "Er kommt mir bei den Treffen zu nahe. Ich fühle mich nicht sicher."
WHAT_KATRIN_DID = "Amal angerufen, Tandem pausiert, Treffen mit beiden vereinbart."


def seed(live_server: LiveServer) -> None:
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            region = create_region(
                session, slug=SLUG, name="Nordhessen", centre="Kassel", radius_km=10
            )
            session.refresh(region)
            town = next(place for place in region.places if place.name == "Kassel")
            make_coordinator(session, KATRIN, regions=[region])

            def person(first: str, last: str, role: str = "newcomer"):  # type: ignore[no-untyped-def]
                return make_participant(
                    session, region, role=role, first_name=first, last_name=last,
                    place_id=town.id, verified_at=now, approved_at=now,
                    waiting_since=(now - timedelta(days=40)).date() if role == "newcomer" else None,
                )  # fmt: skip

            yasmin = person("Yasmin", "Çelik")
            person("Yasmin", "Haddad")
            olena = person("Olena", "Bondar")
            ingrid = person("Ingrid", "Lange", role="local")
            jan = person("Jan", "Becker", role="local")
            for local, newcomer in ((ingrid, yasmin), (jan, olena)):
                session.add(
                    Tandem(local_id=local.id, newcomer_id=newcomer.id, region_id=region.id,
                           status="suggested", score=0.8)
                )  # fmt: skip
            # A running tandem whose newcomer sent an urgent report last night.
            amal, uwe = person("Amal", "Nasser"), person("Uwe", "Brandt", role="local")
            amal.open_tandems = uwe.open_tandems = 1
            running = Tandem(local_id=uwe.id, newcomer_id=amal.id, region_id=region.id,
                             status="active", started_at=now - timedelta(days=20))  # fmt: skip
            session.add(running)
            session.flush()
            session.add(
                ProblemReport(tandem_id=running.id, reporter_role="newcomer", kind="not_ok",
                              note=AMALS_REPORT, urgent=True, created_at=now - timedelta(hours=9))
            )  # fmt: skip
    finally:
        engine.dispose()


def fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing is wider than the tablet, and the log-out button is on screen."""
    from playwright.sync_api import expect

    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], page.url
    logout = page.locator("nav.account form[action='/logout'] button")
    expect(logout).to_be_in_viewport()


def test_a_morning_search_open_and_confirm_two_at_768_px(new_context, live_server):
    from playwright.sync_api import expect

    seed(live_server)
    de = translations("de").gettext
    page = new_context(viewport=TABLET, locale="de-DE").new_page()
    page.goto("/login?lang=de")
    page.locator("form[action='/login'] input[name=email]").fill(KATRIN)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))
    fits(page)
    expect(page.locator("[data-tile=suggestions] .count")).to_have_text("2")
    # The urgent report is the first thing on the dashboard, above the tiles.
    urgent = page.locator("main section").first
    expect(urgent).to_have_attribute("data-section", "urgent")
    expect(urgent).to_be_in_viewport()
    expect(urgent.locator(".note-body")).to_have_text(AMALS_REPORT)

    # Part of the surname, no accent: only Yasmin Çelik, told apart from Yasmin Haddad.
    page.locator("nav.account form[role=search] input[name=q]").fill("celi")
    page.locator("nav.account form[role=search] button").click()
    page.wait_for_url("**/coordinator/search?q=celi*")
    fits(page)
    results = page.locator("table.search-results a[data-person]")
    expect(results).to_have_count(1)
    expect(results).to_have_text("Yasmin Çelik")
    results.click()
    page.wait_for_url(re.compile(r".*/coordinator/participants/[0-9a-f]{32}$"))
    fits(page)
    expect(page.locator("h1")).to_contain_text("Yasmin")

    # Back to the dashboard, to the region's suggestions, both ticked and confirmed at once.
    page.locator("nav.account a[href='/coordinator/']").click()
    page.locator("[data-tile=suggestions] a").click()
    page.locator(
        f"section[data-section=suggestions] a[href='/coordinator/regions/{SLUG}/suggestions']"
    ).click()
    page.wait_for_url(f"**/coordinator/regions/{SLUG}/suggestions*")
    fits(page)
    boxes = page.locator("li.suggestion input[type=checkbox][form=bulk]")
    expect(boxes).to_have_count(2)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("form#bulk button[type=submit]").click()
    page.wait_for_url("**/coordinator/suggestions/confirm*")
    fits(page)
    expect(page.locator("h1")).to_have_text(
        translations("de").ngettext(
            "%(num)d suggestion confirmed", "%(num)d suggestions confirmed", 2
        )
        % {"num": 2}
    )
    expect(page.locator("li[data-result=confirmed]")).to_have_count(2)

    # Back on the dashboard: the urgent report, handled with what was done.
    page.locator("nav.account a[href='/coordinator/']").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))
    report = page.locator("section[data-section=urgent] [data-report]")
    expect(report).to_have_count(1)
    expect(report).to_contain_text("Uwe")
    expect(report).to_contain_text("Amal")
    report.get_by_label(de("What was done?")).fill(WHAT_KATRIN_DID)
    report.get_by_role("button", name=de("Mark as handled")).click()
    page.wait_for_url("**/coordinator/?done=handled")
    fits(page)
    expect(page.locator("p.notice")).to_have_text(de("The report is marked as handled."))
    expect(page.locator("section[data-section=urgent]")).to_have_count(0)
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            handled = session.scalars(select(ProblemReport)).one()
            assert handled.handled_at is not None and handled.handled_note == WHAT_KATRIN_DID
    finally:
        engine.dispose()
    assert de("Log out") == "Abmelden"
