"""Finding people on a 768 px tablet, in German (issue 15 §2): from the dashboard Jana opens
the participant list, filters for Arabic speakers at B1 or better, sorts by name; then, on
her region's suggestions, pairs two people by hand by typing parts of their names (no
dropdown of every name) and picks the right one of two "Iryna Haddad"s by her town.
Screenshots at 360 px in Arabic (right to left) and at 768 px in German are kept in
``var/screenshots`` for a look."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer
from web.core.db import transaction
from web.core.models import Place, utcnow
from web.core.places import create_region

SLUG = "werra-meissner"
JANA = "jana@example.org"
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 360, "height": 740}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def seed(live_server: LiveServer) -> None:
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            region = create_region(
                session, slug=SLUG, name="Werra-Meißner", centre="Eschwege", radius_km=25
            )
            session.refresh(region)
            towns: dict[str, Place] = {place.name: place for place in region.places}
            eschwege = towns["Eschwege"]
            other = next(place for name, place in sorted(towns.items()) if name != "Eschwege")
            make_coordinator(session, JANA, regions=[region])

            def person(first: str, last: str, town: Place, **kw):  # type: ignore[no-untyped-def]
                values = {
                    "role": "newcomer",
                    "first_name": first,
                    "last_name": last,
                    "place_id": town.id,
                    "verified_at": now,
                    "approved_at": now,
                } | kw
                return make_participant(session, region, **values)  # fmt: skip

            person("Iryna", "Haddad", eschwege, languages={"ar": "B2", "uk": "native"})
            person("Iryna", "Haddad", other, languages={"ar": "A1", "uk": "native"})
            person("Samir", "Aziz", eschwege, languages={"ar": "native"})
            person("Greta", "Vogt", eschwege, role="local", languages={"de": "native"})
    finally:
        engine.dispose()


def fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_filter_the_list_and_pair_by_typing_at_768_px(new_context, live_server):
    from playwright.sync_api import expect

    seed(live_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_context(viewport=TABLET, locale="de-DE").new_page()
    page.goto("/login?lang=de")
    page.locator("form[action='/login'] input[name=email]").fill(JANA)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))

    # The dashboard's waiting list already tells the two Irynas apart by their town.
    waiting = page.locator("section[data-section=waiting] li")
    expect(waiting.filter(has_text="Iryna Haddad")).to_have_count(2)

    # The participant list: Arabic at B1 or better, sorted by name.
    page.locator("a[href='/coordinator/participants']").last.click()
    page.wait_for_url("**/coordinator/participants")
    page.locator("#f-language").select_option("ar")
    page.locator("#f-level").select_option("B1")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r".*language=ar.*level=B1.*"))
    fits(page, TABLET["width"])
    rows = page.locator("tr[data-participant] a[data-person]")
    expect(rows).to_have_count(2)  # the Iryna with A1 is left out
    page.locator("a[data-sort=name]").click()
    page.wait_for_url(re.compile(r".*sort=name.*"))
    assert "language=ar" in page.url and "level=B1" in page.url  # the filters stay
    expect(rows.nth(0)).to_have_text("Iryna Haddad")
    expect(rows.nth(1)).to_have_text("Samir Aziz")
    expect(page.locator("#f-language")).to_have_value("ar")
    page.screenshot(path=str(SHOTS / "participants-filtered-768-de.png"), full_page=True)

    # Pair by hand: type, find, pick the Iryna of Eschwege.
    page.goto(f"/coordinator/regions/{SLUG}/suggestions")
    page.locator(f"a[href='/coordinator/regions/{SLUG}/pairs/new']").click()
    page.wait_for_url(f"**/coordinator/regions/{SLUG}/pairs/new")
    assert page.locator("select").count() == 0  # no dropdown of every name
    page.locator("#f-local_q").fill("vogt")
    page.locator("#f-newcomer_q").fill("iryna")
    page.locator("button[data-action=find]").click()
    page.wait_for_url(re.compile(r".*newcomer_q=iryna.*"))
    fits(page, TABLET["width"])
    local = page.locator("input[name=local][type=radio]")
    expect(local).to_have_count(1)
    expect(local).to_be_checked()  # the only one found
    irynas = page.locator("[data-candidates=newcomer] label")
    expect(irynas).to_have_count(2)
    expect(irynas.filter(has_text="(Eschwege)")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "pair-by-typing-768-de.png"), full_page=True)
    irynas.filter(has_text="(Eschwege)").click()
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    if page.locator("input[name=accept_broken]").count():  # a rule broken: asked first
        chosen = page.locator("input[name=newcomer][type=radio]:checked")
        expect(chosen).to_have_count(1)  # the pick and what was typed survive the question
        label = page.locator(f"label[for='{chosen.get_attribute('id')}']")
        expect(label).to_contain_text("(Eschwege)")
        expect(page.locator("#f-newcomer_q")).to_have_value("iryna")
        page.locator("input[name=accept_broken]").check()
        page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_url(re.compile(rf".*/coordinator/regions/{SLUG}/suggestions.*"))
    card = page.locator("li.suggestion")
    expect(card).to_have_count(1)
    expect(card.locator("h3 a[data-person]")).to_have_text(["Iryna Haddad", "Greta Vogt"])
    expect(card.locator("h3 [data-town]").first).to_have_text("(Eschwege)")

    # The same pages on a phone, right to left.
    phone = new_context(viewport=PHONE, locale="ar").new_page()
    phone.goto("/login?lang=ar")
    phone.locator("form[action='/login'] input[name=email]").fill(JANA)
    phone.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    phone.locator("form[action='/login'] button[type=submit]").click()
    phone.wait_for_url(re.compile(r".*/coordinator/?$"))
    phone.goto("/coordinator/participants?language=ar&level=B1&sort=name&lang=ar")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    phone.screenshot(path=str(SHOTS / "participants-filtered-360-ar.png"), full_page=True)
    phone.goto(f"/coordinator/regions/{SLUG}/pairs/new?newcomer_q=haddad&lang=ar")
    fits(phone, PHONE["width"])
    phone.screenshot(path=str(SHOTS / "pair-by-typing-360-ar.png"), full_page=True)
