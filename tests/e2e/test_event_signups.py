"""Sign-ups, the waiting list and the door list in a real browser on a 360 px phone
(issue 17 §5): Kassel has a library and a monthly Stammtisch with one place. Zahra, a
newcomer waiting for a partner, opens her profile from her e-mailed link in Farsi, sees
the Stammtisch and signs up: it is full. Omid (German) lands on the waiting list. Zahra
cancels; Omid moves up and gets the e-mail in his language. At the door, Alice ticks Omid
on her phone and adds a walk-in by name. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_occasion, make_participant
from tests.e2e.conftest import PHONE, LiveServer, wait_for_subject
from web.core import links
from web.core.calendar import BERLIN
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import Event, Region, Signup, utcnow
from web.events.signup_routes import PARTICIPANT_FLASH

ALICE = "alice@example.org"
OMID = "omid@example.org"
SLOW = 60_000  # ms: the machine may be loaded
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def first_thursday_of_next_month(today: date) -> date:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(3 - first.weekday()) % 7)


def seed(live_server: LiveServer) -> dict[str, Any]:
    engine = live_server.engine()
    day = first_thursday_of_next_month(date.today())  # noqa: DTZ011 (the server's today)
    try:
        with transaction(engine) as session:
            kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
            make_coordinator(session, ALICE, regions=[kassel])
            stammtisch = make_occasion(
                session, kassel, starts_at=datetime.combine(day, time(19), tzinfo=BERLIN),
                repeat="monthly", capacity=1, languages=["de", "fa"],
                titles={"de": "Stammtisch Begegnung", "fa": "دورهمی ماهانه"},
            )  # fmt: skip
            zahra = make_participant(session, kassel, first_name="Zahra", last_name="Ahmadi",
                                     locale="fa",
                                     languages={"fa": "native", "de": "A2"})  # fmt: skip
            omid = make_participant(session, kassel, first_name="Omid", last_name="Karimi",
                                    email=OMID, locale="de")  # fmt: skip
            raw = {
                name: links.issue(
                    session, person, "profile", now=utcnow(), lifetime=timedelta(days=30)
                )  # fmt: skip
                for name, person in (("zahra", zahra), ("omid", omid))
            }
            return {"day": day, "occasion": stammtisch.id, **raw}
    finally:
        engine.dispose()


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scrolling(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


def open_profile(context: Any, raw: str, lang: str) -> Any:
    page = context.new_page()
    page.set_default_timeout(SLOW)
    page.goto(f"/me/open/{raw}?lang={lang}")  # the link in the e-mail
    page.locator(f"form[action='/me/open/{raw}'] button").click()
    page.wait_for_url(re.compile(r".*/me(\?.*)?$"))
    return page


def test_sign_up_fill_wait_move_up_and_tick_at_the_door_on_a_phone(new_context, live_server):
    from playwright.sync_api import expect

    world = seed(live_server)
    day = world["day"].isoformat()
    farsi, german = translations("fa").gettext, translations("de").gettext

    # --- Zahra, in Farsi, signs up for the next Stammtisch ------------------------------------
    zahra = open_profile(new_context(**PHONE, locale="fa-IR"), world["zahra"], "fa")
    expect(zahra.locator("html")).to_have_attribute("dir", "rtl")
    near = zahra.locator(f"#events-near li[data-event='{world['occasion']}']")
    expect(near).to_contain_text("دورهمی ماهانه")
    near.locator(f"li[data-date='{day}'] button").click()
    expect(zahra.locator("[data-event-flash]")).to_have_text(
        farsi("You are signed up. We look forward to seeing you!")
    )
    mine = zahra.locator(f"#my-events li[data-my-event='{world['occasion']}']")
    expect(mine.locator("[data-place]")).to_be_visible()
    expect(zahra.locator("[data-calendar-url]")).to_contain_text("/calendar/me/")
    no_sideways_scrolling(zahra)
    shoot(zahra, "signups-fa-360-signed-up")

    # --- Omid, in German: the date is full, he lands on the waiting list ----------------------
    omid = open_profile(new_context(**PHONE, locale="de-DE"), world["omid"], "de")
    button = omid.locator(f"#events-near li[data-date='{day}'] button")
    expect(button).to_contain_text(german("%(date)s: full, join the waiting list")[-20:])
    button.click()
    expect(omid.locator("[data-event-flash]")).to_have_text(german(PARTICIPANT_FLASH["waiting"]))
    expect(omid.locator("#my-events [data-waiting]")).to_have_attribute("data-waiting", "1")
    no_sideways_scrolling(omid)
    shoot(omid, "signups-de-360-waiting")

    # --- Zahra cancels; Omid moves up and is told in German ----------------------------------
    zahra.locator(f"#my-events li[data-my-event='{world['occasion']}'] button").click()
    expect(zahra.locator("[data-event-flash]")).to_have_text(farsi("Your sign-up is cancelled."))
    subject = german("You have a place: %(event)s") % {"event": "Stammtisch Begegnung"}
    told = wait_for_subject(live_server.mail_dir, OMID, subject)
    assert "Stammtisch Begegnung" in told.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    omid.reload()
    expect(omid.locator("#my-events [data-place]")).to_be_visible()

    # --- Alice at the door, on her phone -----------------------------------------------------
    alice = new_context(**PHONE, locale="de-DE").new_page()
    alice.set_default_timeout(SLOW)
    alice.goto("/login?lang=de")
    alice.locator("form[action='/login'] input[name=email]").fill(ALICE)
    alice.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    alice.locator("form[action='/login'] button[type=submit]").click()
    alice.wait_for_url(re.compile(r".*/coordinator/?$"))
    alice.get_by_role("link", name=german("Events"), exact=True).click()
    alice.locator(f"[data-event='{world['occasion']}'] a[data-date='{day}']").click()
    expect(alice.locator("[data-list=places]")).to_contain_text("Omid K.")
    alice.get_by_role("link", name=german("Attendance list at the door")).click()
    omid_row = alice.locator("ul.door li").filter(has_text="Omid K.")
    expect(omid_row).to_contain_text("kassel-town")
    box = omid_row.locator("input[type=checkbox]").bounding_box()
    assert box is not None and box["width"] >= 28 and box["height"] >= 28  # a thumb hits it
    omid_row.locator("label").click()
    alice.get_by_role("button", name=german("Save attendance")).click()
    expect(alice.locator("[data-flash]")).to_have_text(german("Attendance is saved."))
    expect(omid_row.locator("input[type=checkbox]")).to_be_checked()
    alice.locator("#f-walk-in").fill("Herr Schmidt")
    alice.get_by_role("button", name=german("Add walk-in")).click()
    expect(alice.locator("ul.walk-ins")).to_contain_text("Herr Schmidt")
    no_sideways_scrolling(alice)
    shoot(alice, "signups-de-360-door")

    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            seats = session.scalars(select(Signup.seat)).all()
            facts = sorted(
                (e.kind, e.role)
                for e in session.scalars(select(Event).where(Event.kind.like("occ_%")))  # type: ignore[attr-defined]
            )
            attended_at = session.scalars(select(Event.at).where(Event.kind == "occ_held")).one()
    finally:
        engine.dispose()
    assert seats == [1]
    assert facts == [("occ_attended", "newcomer"), ("occ_attended", "walk_in"), ("occ_held", None)]
    assert attended_at.astimezone(UTC) == datetime.combine(world["day"], time(19), tzinfo=BERLIN)
