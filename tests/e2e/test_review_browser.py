"""The review queue in a browser (issue 15 §4): Katrin opens it from the dashboard's menu
on a phone (360 px) and on a desktop (1280 px), in German and Arabic; each card shows
how to reach the person and their week; she declines with a reason, changes her mind and
undoes it. Nothing is wider than the screen. Set TANDEM_SCREENSHOT_DIR to keep
screenshots of each case."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer
from web.core.db import transaction
from web.core.models import utcnow
from web.core.places import create_region

SLUG = "nordhessen"
KATRIN = "katrin.review@example.org"


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
            make_participant(
                session, region, status="pending", first_name="Amal", last_name="Haddad",
                place_id=town.id, verified_at=now - timedelta(days=3), email=None,
                phone="+4915112345678", contact_channel="phone", interpreter_language="ar",
                languages={"ar": "native", "de": "A2"}, help_topics=["paperwork", "job"],
                slots=["mon_morning", "tue_evening", "sat_morning", "sun_afternoon"],
            )  # fmt: skip
            make_participant(
                session, region, status="pending", role="local", first_name="Sabine",
                last_name="Lange-Müllerhausen", place_id=town.id, verified_at=now,
                email="sabine.lange-muellerhausen@example.org", languages={"de": "native"},
            )  # fmt: skip
    finally:
        engine.dispose()


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if folder := os.environ.get("TANDEM_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(folder) / f"review-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> LiveServer:
    seed(live_server)
    return live_server


@pytest.mark.parametrize(
    ("width", "locale"),
    [(360, "de"), (360, "ar"), (1280, "de")],
    ids=["360-de", "360-ar", "1280-de"],
)
def test_the_review_queue_fits_and_shows_what_to_decide(new_context, seeded, width, locale):
    from playwright.sync_api import expect

    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"/login?lang={locale}")
    page.locator("form[action='/login'] input[name=email]").fill(KATRIN)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))
    page.locator("a[href='/coordinator/review']").first.click()
    page.wait_for_url(re.compile(r".*/coordinator/review$"))
    card = page.locator("article[data-participant]", has_text="Amal")
    expect(card.locator("h2 a")).to_have_text("Amal Haddad")
    expect(card.locator("[data-field=phone]")).to_have_text("01511 2345678")
    expect(card.locator("td.yes")).to_have_count(4)
    shoot(page, f"{width}-{locale}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.documentElement.dir") == ("rtl" if locale == "ar" else "ltr")


def test_decline_with_a_reason_then_undo(new_context, seeded):
    from playwright.sync_api import expect

    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto("/login?lang=de")
    page.locator("form[action='/login'] input[name=email]").fill(KATRIN)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))
    page.goto("/coordinator/review")
    card = page.locator("article[data-participant]", has_text="Sabine")
    card.locator("details.decline summary").click()
    card.locator("button[data-action=decline]").click()  # no reason yet
    card = page.locator("article[data-participant]", has_text="Sabine")
    expect(card.locator("p.error")).to_contain_text("Bitte wählen Sie")
    card.locator("select[name=reason]").select_option("duplicate")
    card.locator("textarea[name=note]").fill("Hat ein zweites Konto")
    card.locator("button[data-action=decline]").click()
    flash = page.locator("[data-flash=declined]")
    expect(flash).to_contain_text("Die Anmeldung von Sabine Lange-Müllerhausen ist abgelehnt")
    expect(page.locator("article[data-participant]", has_text="Sabine")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shoot(page, "360-de-declined")
    flash.locator("button[data-action=undo]").click()
    expect(page.locator("[data-flash=undone]")).to_be_visible()
    expect(page.locator("article[data-participant]", has_text="Sabine")).to_have_count(1)
