"""Signing up for one date of an event, the waiting list, the reminder the day before, the
attendance list at the door, and the private calendar feed (issue 17).

Zahra (newcomer, Farsi) and Omid (newcomer) wait in Kassel; Lena is a local; Amal has no
e-mail. Alice coordinates Kassel, Bob Göttingen. The Stammtisch has one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.builders import (
    build_tandem,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_occasion,
    make_participant,
    make_region,
    open_profile,
    post_as_me,
)
from web.core.calendar import BERLIN, berlin
from web.core.i18n import translations
from web.core.models import (
    CalendarFeed,
    ContactTask,
    Event,
    OutboxMessage,
    Signup,
    WalkIn,
    utcnow,
)
from web.events import attendance, signups
from web.ops import retention


@dataclass
class World:
    occasion_id: int
    day: date
    zahra: int
    omid: int
    lena: int
    amal: int
    amal_public_id: str


@pytest.fixture
def world(engine) -> World:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        starts = berlin(utcnow() + timedelta(days=5)).replace(hour=19, minute=0, second=0,
                                                               microsecond=0)  # fmt: skip
        occasion = make_occasion(session, kassel, starts_at=starts, capacity=1,
                                 titles={"de": "Stammtisch", "fa": "دورهمی"},
                                 audience="newcomers", languages=["fa"])  # fmt: skip
        zahra = make_participant(session, kassel, first_name="Zahra", last_name="Ahmadi",
                                 locale="fa", languages={"fa": "native"})  # fmt: skip
        omid = make_participant(session, kassel, first_name="Omid", last_name="Karimi",
                                locale="fa", email="omid@example.org")  # fmt: skip
        lena = make_participant(session, kassel, role="local", first_name="Lena")
        amal = make_participant(session, kassel, first_name="Amal", last_name="Haddad",
                                email=None, phone="+4915112345678")  # fmt: skip
        make_participant(session, goettingen, first_name="Gül", locale="tr")
        return World(occasion.id, starts.date(), zahra.id, omid.id, lena.id, amal.id,  # type: ignore[arg-type]
                     amal.public_id)  # fmt: skip


def path(world: World, action: str) -> str:
    return f"/me/events/{world.occasion_id}/{world.day.isoformat()}/{action}"


def my_rows(engine, world: World) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.scalars(select(Signup).where(Signup.occasion_id == world.occasion_id))
        return {row.participant_id: row.seat for row in rows}


def test_the_date_fills_the_next_waits_and_moves_up_when_the_first_cancels(
    client, settings, engine, world
) -> None:
    from litestar.testing import TestClient

    from web.app import create_app

    open_profile(client, engine, world.zahra)
    page = html(client.get("/me?lang=fa"))
    button = page.select_one(f"#events-near li[data-date='{world.day.isoformat()}'] button")
    assert button is not None and "دورهمی" in page.select_one("#events-near").get_text()
    assert post_as_me(client, path(world, "sign-up")).headers["location"] == "/me?event=signed_up"
    assert post_as_me(client, path(world, "sign-up")).status_code == 303  # a double click
    mine = html(client.get("/me?event=signed_up"))
    assert mine.select_one(f"#my-events li[data-my-event='{world.occasion_id}'] [data-place]")
    assert my_rows(engine, world) == {world.zahra: 1}
    exported = client.get("/me/export").json()  # GDPR Art. 15: her sign-ups are in it
    assert [(s["event"], s["date"], s["has_a_place"]) for s in exported["event_signups"]] == [
        ("Stammtisch", world.day.isoformat(), True)
    ]

    with TestClient(app=create_app(settings)) as omid:
        open_profile(omid, engine, world.omid)
        full = html(omid.get("/me"))
        label = full.select_one(f"#events-near li[data-date='{world.day.isoformat()}'] button")
        assert "secondary" in label["class"]  # full: "join the waiting list"
        assert post_as_me(omid, path(world, "sign-up")).headers["location"] == "/me?event=waiting"
        waiting = html(omid.get("/me")).select_one("#my-events [data-waiting]")
        assert waiting["data-waiting"] == "1"
    assert my_rows(engine, world) == {world.zahra: 1, world.omid: None}

    assert post_as_me(client, path(world, "cancel")).headers["location"] == "/me?event=cancelled"
    assert my_rows(engine, world) == {world.omid: 1}
    with db(engine) as session:
        told = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "event_moved_up")
        ).one()
    assert told.to_address == "omid@example.org" and told.locale == "fa"
    farsi = translations("fa").gettext
    assert "دورهمی" in told.subject and farsi("You have a place: %(event)s")[:6] in told.subject
    # Cancelling again: not signed up any more.
    assert post_as_me(client, path(world, "cancel")).status_code == 409


def test_who_may_sign_up_and_for_which_dates(client, engine, world) -> None:
    with db(engine) as session:  # a newcomer of another region
        gul = session.scalars(select(signups.Participant).where(
            signups.Participant.first_name == "Gül")).one().id  # fmt: skip
    open_profile(client, engine, gul)  # type: ignore[arg-type]
    assert post_as_me(client, path(world, "sign-up")).status_code == 409
    client.cookies.clear()
    open_profile(client, engine, world.lena)  # a local; the event is for newcomers
    refused = post_as_me(client, path(world, "sign-up"))
    assert refused.status_code == 409
    german = translations("de").gettext
    assert html(refused).select_one("[data-problem]").get_text() == german(
        "This event is for another group of people."
    )
    wrong_day = (world.day + timedelta(days=1)).isoformat()
    assert (
        post_as_me(client, f"/me/events/{world.occasion_id}/{wrong_day}/sign-up").status_code == 400
    )
    assert post_as_me(client, f"/me/events/{world.occasion_id}/nonsense/sign-up").status_code == 400
    assert post_as_me(client, f"/me/events/999999/{world.day}/sign-up").status_code == 404
    assert my_rows(engine, world) == {}


def test_a_coordinator_signs_up_a_person_without_e_mail_found_by_name(
    client, engine, world
) -> None:
    date_page = f"/coordinator/events/{world.occasion_id}/dates/{world.day.isoformat()}"
    assert login(client, "bob@example.org").status_code == 303
    assert client.get(date_page).status_code == 404  # another region's event
    client.get("/logout")
    client.cookies.clear()
    assert login(client, "alice@example.org").status_code == 303
    found = html(client.get(date_page, params={"q": "amal hadd"}))
    [person] = found.select("[data-list=found] li")
    assert person["data-person"] == world.amal_public_id
    assert "Amal H." in person.get_text(" ", strip=True)
    token = csrf_token(client, date_page)
    signed = client.post(f"{date_page}/sign-up", data={"person": world.amal_public_id,
                         "_csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303 and signed.headers["location"].endswith("done=signed_up")
    assert my_rows(engine, world) == {world.amal: 1}
    assert client.post(f"{date_page}/sign-up", data={"person": "nobody", "_csrf_token": token},
                       follow_redirects=False).status_code == 404  # fmt: skip
    page = html(client.get(date_page))
    assert [li["data-signup"] for li in page.select("[data-list=places] li")]
    # The reminder the day before: a task for Alice (no e-mail), once only.
    the_day_before = berlin(utcnow()).replace(hour=9) + timedelta(
        days=(world.day - berlin(utcnow()).date()).days - 1
    )
    with db(engine) as session:
        assert signups.send_reminders(session, now=the_day_before) == 1
    with db(engine) as session:
        assert signups.send_reminders(session, now=the_day_before) == 0
        tasks = session.scalars(select(ContactTask.kind)).all()
    assert tasks == ["event_reminder"]


def test_the_door_list_counts_attendees_tandems_and_walk_ins_once(client, engine, world) -> None:
    with db(engine) as session:
        occasion = session.get(signups.Occasion, world.occasion_id)
        occasion.capacity, occasion.audience = 5, "everyone"  # type: ignore[union-attr]
        kassel = occasion.place.town.region  # type: ignore[union-attr]
        pair = build_tandem(session, kassel)
        people = [session.get(signups.Participant, pid)
                  for pid in (pair.local_id, pair.newcomer_id, world.zahra)]  # fmt: skip
        ids = [signups.sign_up(session, occasion, world.day, person, now=utcnow()).id  # type: ignore[arg-type]
               for person in people]  # fmt: skip
        tandem_ref = pair.public_id
    door = f"/coordinator/events/{world.occasion_id}/dates/{world.day.isoformat()}/door"
    assert login(client, "alice@example.org").status_code == 303
    page = html(client.get(door))
    names = [li.get_text(" ", strip=True) for li in page.select("ul.door li")]
    assert any(name.startswith("Zahra A.") and "kassel-town" in name for name in names)
    token = csrf_token(client, door)
    saved = client.post(door, data={"came": [str(i) for i in ids], "_csrf_token": token},
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    added = client.post(f"{door}/walk-ins", data={"name": "Herr Schmidt", "_csrf_token": token},
                        follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    empty = client.post(f"{door}/walk-ins", data={"name": "  ", "_csrf_token": token})
    assert empty.status_code == 400 and html(empty).select_one("#f-walk-in-error")
    # Saved again with the local unticked: their fact is withdrawn, the tandem no longer met.
    client.post(door, data={"came": [str(i) for i in ids[1:]], "_csrf_token": token})
    with db(engine) as session:
        facts = session.scalars(select(Event).where(Event.kind.in_(["occ_held", "occ_attended"])))  # type: ignore[attr-defined]
        seen = sorted((e.kind, e.role, e.reason, e.tandem_ref) for e in facts)
    assert seen == sorted([
        ("occ_held", None, None, None),
        ("occ_attended", "newcomer", "first", None),
        ("occ_attended", "newcomer", "first", None),
        ("occ_attended", "walk_in", None, None),
    ])  # fmt: skip
    client.post(door, data={"came": [str(i) for i in ids], "_csrf_token": token})
    with db(engine) as session:
        refs = session.scalars(select(Event.tandem_ref).where(Event.kind == "occ_attended")).all()
        assert sorted(r for r in refs if r) == [tandem_ref, tandem_ref]
        walk_in = session.scalars(select(WalkIn)).one()
        assert walk_in.name == "Herr Schmidt"
        # A month after the date, the walk-in's name is gone; the fact stays.
        later = utcnow() + timedelta(days=retention.WALK_IN_DAYS + 10)
        assert attendance.WALK_IN_NAME_MAX == 80
    with db(engine) as session:
        from web.core.settings import Settings

        retention.purge(session, settings=Settings(), now=later, dry_run=False)
    with db(engine) as session:
        assert session.scalars(select(WalkIn)).first() is None
        assert session.scalars(select(Event).where(Event.role == "walk_in")).one()


def test_the_private_feed_has_my_dates_no_names_no_cookie_and_can_be_renewed(
    client, settings, engine, world
) -> None:
    from litestar.testing import TestClient

    from web.app import create_app

    open_profile(client, engine, world.zahra)
    post_as_me(client, path(world, "sign-up"))
    url = html(client.get("/me")).select_one("[data-calendar-url]").get_text(strip=True)
    feed_path = url.removeprefix(settings.base_url)
    with TestClient(app=create_app(settings)) as stranger:  # no session, no cookie
        answer = stranger.get(feed_path)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "set-cookie" not in answer.headers
        [event] = Calendar.from_ical(answer.content).walk("VEVENT")
        assert str(event["summary"]) == "دورهمی" and str(event["status"]) == "CONFIRMED"
        assert "Zahra" not in answer.text and "Ahmadi" not in answer.text
        assert stranger.get("/calendar/me/guess.ics").status_code == 404
        assert "set-cookie" not in stranger.get("/calendar/kassel.ics").headers
    assert post_as_me(client, "/me/calendar/new-link").status_code == 303
    new_url = html(client.get("/me")).select_one("[data-calendar-url]").get_text(strip=True)
    assert new_url != url
    with TestClient(app=create_app(settings)) as stranger:
        assert stranger.get(feed_path).status_code == 404
        assert stranger.get(new_url.removeprefix(settings.base_url)).status_code == 200
    with db(engine) as session:
        stored = session.get(CalendarFeed, world.zahra)
        assert stored is not None and new_url.rsplit("/", 1)[1][:-4] not in stored.token_hash


def test_a_larger_capacity_moves_the_waiting_list_up(engine, world) -> None:
    with db(engine) as session:
        occasion = session.get(signups.Occasion, world.occasion_id)
        for person_id in (world.zahra, world.omid, world.amal):
            person = session.get(signups.Participant, person_id)
            signups.sign_up(session, occasion, world.day, person, now=utcnow())  # type: ignore[arg-type]
    assert my_rows(engine, world) == {world.zahra: 1, world.omid: None, world.amal: None}
    with db(engine) as session:
        occasion = session.get(signups.Occasion, world.occasion_id)
        occasion.capacity = 2  # type: ignore[union-attr]
        moved = signups.after_change(session, occasion, now=utcnow())  # type: ignore[arg-type]
        assert [row.participant_id for row in moved] == [world.omid]
    assert my_rows(engine, world) == {world.zahra: 1, world.omid: 2, world.amal: None}


def test_the_reminder_the_day_before_goes_once_in_the_persons_language(
    engine, world, database_url
) -> None:
    import time_machine

    from tests.builders import tandem

    with db(engine) as session:
        occasion = session.get(signups.Occasion, world.occasion_id)
        for person_id in (world.omid, world.zahra):  # Zahra only waits: no reminder
            person = session.get(signups.Participant, person_id)
            signups.sign_up(session, occasion, world.day, person, now=utcnow())  # type: ignore[arg-type]
    the_day_before = datetime.combine(world.day - timedelta(days=1), time(9), tzinfo=BERLIN)
    two_days_before = the_day_before - timedelta(days=1)
    with time_machine.travel(two_days_before, tick=False):
        assert (
            tandem("event-reminders", database_url=database_url).stdout
            == "event reminders sent 0\n"
        )
    with time_machine.travel(the_day_before, tick=False):
        for expected in ("1", "0"):  # run twice (cron and a worker): one reminder
            result = tandem("event-reminders", database_url=database_url)
            assert result.stdout == f"event reminders sent {expected}\n"
    with db(engine) as session:
        [reminder] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "event_reminder")
        ).all()
    assert reminder.to_address == "omid@example.org" and reminder.locale == "fa"
    assert reminder.subject == "فردا: دورهمی"
