"""Meeting places and events in a real browser on a 360 px phone: Alice starts at her
dashboard, adds a library in Farsi (right to left), then a monthly Stammtisch in German;
the region's public calendar feed then carries it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator
from tests.e2e.conftest import PHONE, LiveServer
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import Region

ALICE = "alice@example.org"
SLOW = 60_000  # ms: the machine may be loaded


def seed(live_server: LiveServer) -> None:
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            region = session.scalars(select(Region).where(Region.slug == "kassel")).one()
            make_coordinator(session, ALICE, regions=[region])
    finally:
        engine.dispose()


def first_thursday_of_next_month(today: date) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(3 - first.weekday()) % 7)


def no_sideways_scrolling(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


def test_a_coordinator_adds_a_place_and_a_monthly_stammtisch_on_a_phone(new_context, live_server):
    from playwright.sync_api import expect

    seed(live_server)
    farsi, german = translations("fa").gettext, translations("de").gettext
    page = new_context(**PHONE, locale="fa-IR").new_page()
    page.set_default_timeout(SLOW)
    page.goto("/login?lang=fa")
    page.locator("form[action='/login'] input[name=email]").fill(ALICE)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    # --- a meeting place, in Farsi --------------------------------------------------------
    page.get_by_role("link", name=farsi("Meeting places"), exact=True).click()
    page.wait_for_url("**/coordinator/places")
    no_sideways_scrolling(page)
    page.get_by_role("link", name=farsi("Add a meeting place")).click()
    page.locator("#f-name").fill("Stadtbibliothek")
    page.locator("#f-street").fill("Obere Königsstraße 3")
    page.locator("#f-town").fill("kassel-town")
    page.locator("input[name=slots][value=thu_evening]").check()
    page.locator("#f-description_fa").fill("میزهای آرام در کافهٔ کتابخانه")
    page.get_by_role("button", name=farsi("Save the place")).click()
    # Forgot the German description: told next to the field, nothing typed is lost.
    expect(page.locator("#f-description_de-error")).to_have_text(
        farsi("Please describe the place in German.")
    )
    expect(page.locator("#f-street")).to_have_value("Obere Königsstraße 3")
    expect(page.locator("input[name=slots][value=thu_evening]")).to_be_checked()
    page.locator("#f-description_de").fill("Ruhige Tische im Lesecafé.")
    page.get_by_role("button", name=farsi("Save the place")).click()
    expect(page.locator("[data-flash]")).to_have_text(farsi("The place is saved."))
    expect(page.locator("[data-place]")).to_contain_text("Stadtbibliothek")
    no_sideways_scrolling(page)

    # --- a monthly Stammtisch, in German --------------------------------------------------
    page.locator("nav.languages a[lang=de]").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_role("link", name=german("Events"), exact=True).click()
    page.get_by_role("link", name=german("Add an event")).click()
    page.locator("#f-title_de").fill("Stammtisch Begegnung")
    page.locator("#f-place").select_option(label=f"Stadtbibliothek ({german('Library')})")
    day = first_thursday_of_next_month(date.today())  # noqa: DTZ011 (the server's today)
    page.locator("#f-day").fill(day.isoformat())
    page.locator("#f-start").fill("19:00")
    page.locator("#f-end").fill("21:00")
    page.locator("input[name=repeat][value=monthly]").check()
    page.locator("#f-capacity").fill("12")
    no_sideways_scrolling(page)
    page.get_by_role("button", name=german("Save the event")).click()
    expect(page.locator("[data-flash]")).to_have_text(german("The event is saved."))
    listed = page.locator("[data-event]")
    expect(listed).to_contain_text("Stammtisch Begegnung")
    expect(listed).to_contain_text("19:00")
    no_sideways_scrolling(page)

    feed = page.request.get("/calendar/kassel.ics")
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    body = feed.text()
    assert "SUMMARY:Stammtisch Begegnung" in body
    assert "RRULE:FREQ=MONTHLY;BYDAY=1TH" in body
    assert f"DTSTART;TZID=Europe/Berlin:{day:%Y%m%d}T190000" in body
