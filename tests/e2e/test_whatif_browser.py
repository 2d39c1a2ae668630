"""What would help the waiting newcomers, as a coordinator meets it (issue 15 §6).

Wiebke coordinates the Werratal in German at 1280 px: from the dashboard she follows
"Matching", starts the run, reads on the run page what each relaxation would achieve,
opens "who would be matched", changes the minimum level after the confirmation page,
then follows "Wo Ehrenamtliche fehlen" to the map. On a 360 px phone in Arabic the map
and its table fit the screen. Nothing is loaded from another host (the context refuses it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_region
from tests.e2e.conftest import PHONE, LiveServer
from tests.worlds import people_for_relaxations
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import Region

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIEBKE = "wiebke@example.org"
HERE = "werratal"
SLOW = 60_000  # ms: the machine may be loaded
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def seed(live_server: LiveServer) -> None:
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            region = make_region(session, HERE, lat=51.34, lon=9.86)
            people_for_relaxations(session, region)
            make_coordinator(session, WIEBKE, regions=[region])
    finally:
        engine.dispose()


def log_in(page: Page, locale: str) -> None:
    page.goto(f"/login?lang={locale}")
    page.locator("form[action='/login'] input[name=email]").fill(WIEBKE)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))


def test_a_coordinator_sees_what_would_help_and_lowers_the_level(new_context, live_server):
    from playwright.sync_api import expect

    seed(live_server)
    de = translations("de").gettext
    page = new_context(viewport={"width": 1280, "height": 900}, locale="de-DE").new_page()
    page.set_default_timeout(SLOW)
    log_in(page, "de")

    page.get_by_role("link", name=de("Matching"), exact=True).first.click()
    page.locator(f"tr[data-region='{HERE}']").get_by_role("button", name=de("Run matching")).click()
    page.wait_for_url(re.compile(r".*/coordinator/runs/\d+$"))
    whatif = page.locator("#whatif")
    expect(whatif).to_have_attribute("data-state", "done")
    level = whatif.locator("li[data-relaxation=level]")
    expect(level).to_contain_text("Mit Sprachniveau A2 statt B1: 2 Neuzugewanderte mehr vermittelt")
    expect(whatif.locator("li[data-relaxation=radius]")).to_contain_text("35 km statt 25 km")
    level.locator("summary").click()
    expect(level.get_by_role("link", name="Amal Saleh")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "whatif-run-de.png"), full_page=True)

    level.get_by_role("link", name=de("Change the region's setting…")).click()
    expect(page.locator("#relax-change dd[data-from]")).to_have_text("von B1 auf A2")
    page.get_by_role("button", name=de("Change the setting")).click()
    page.wait_for_url(re.compile(r".*/coordinator/runs/\d+\?done=level$"))
    expect(page.locator("#whatif [data-flash]")).to_be_visible()
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            stored = session.scalars(select(Region.min_level).where(Region.slug == HERE)).one()
    finally:
        engine.dispose()
    assert stored == "A2"

    page.get_by_role("link", name=de("Recruiting gaps")).click()
    svg = page.locator("svg#gaps-map")
    expect(svg).to_be_visible()
    expect(svg.locator("g.town")).to_have_count(3)
    expect(page.locator("#gaps-by-language tr[data-language=ar] th")).to_have_text("Arabisch")
    page.screenshot(path=str(SHOTS / "whatif-gaps-de.png"), full_page=True)

    phone = new_context(**PHONE, locale="ar").new_page()
    phone.set_default_timeout(SLOW)
    log_in(phone, "ar")
    phone.goto(f"/coordinator/regions/{HERE}/gaps")
    box = phone.locator("svg#gaps-map").bounding_box()
    width = PHONE["viewport"]["width"]  # type: ignore[index]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    phone.screenshot(path=str(SHOTS / "whatif-gaps-ar-360.png"), full_page=True)
