"""A tandem's first meeting: suggested places on the tandem page, the coordinator's choice,
and the e-mails with an .ics invitation in each partner's language.

Lena (local, German) and Nour (newcomer, Arabic) live in Kassel, which Alice coordinates;
both have time on Tuesday evenings. Bob coordinates Göttingen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
)
from web.core import mail
from web.core.models import (
    ContactTask,
    FirstMeeting,
    MeetingPlace,
    OutboxMessage,
    Participant,
    Tandem,
)
from web.proposals import proposals

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
BERLIN = ZoneInfo("Europe/Berlin")
LINK = re.compile(r"/answer/([A-Za-z0-9_-]+)")


@dataclass
class World:
    tandem: str
    tandem_id: int
    library: int
    cafe: int
    park: int
    archived: int


def _place(session, region, name, kind, lat, lon, slots, **extra) -> int:  # type: ignore[no-untyped-def]
    session.refresh(region)
    town = region.places[0]
    place = MeetingPlace(region_id=region.id, name=name, kind=kind, street="Markt 1",
                         town_id=town.id, lat=lat, lon=lon, slots=slots,
                         descriptions={"de": f"{name} auf Deutsch", "ar": f"{name} بالعربية"},
                         **extra)  # fmt: skip
    session.add(place)
    session.flush()
    return place.id  # type: ignore[return-value]


@pytest.fixture
def world(engine) -> World:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        lena = make_participant(session, kassel, role="local", first_name="Lena", locale="de",
                                email="lena@example.org",
                                slots=["tue_evening", "sat_morning"])  # fmt: skip
        nour = make_participant(session, kassel, first_name="Nour", locale="ar",
                                email="nour@example.org", slots=["tue_evening"])  # fmt: skip
        tandem = Tandem(local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id,
                        status="proposed", proposed_at=START,
                        answer_due_at=START + timedelta(days=7))  # fmt: skip
        session.add(tandem)
        session.flush()
        return World(
            tandem=tandem.public_id,
            tandem_id=tandem.id,  # type: ignore[arg-type]
            library=_place(
                session, kassel, "Stadtbibliothek", "library", 51.30, 9.50, ["tue_evening"]
            ),  # fmt: skip
            cafe=_place(session, kassel, "Café Nord", "cafe", 51.35, 9.50, ["tue_evening"]),
            park=_place(session, kassel, "Park", "park", 51.30, 9.50, ["sat_morning"]),
            archived=_place(
                session,
                kassel,
                "Altes Haus",
                "other",
                51.30,
                9.50,
                ["tue_evening"],
                archived_at=START,
            ),  # fmt: skip
        )


def page_url(world: World) -> str:
    return f"/coordinator/tandems/{world.tandem}"


def choose(client, world: World, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, page_url(world))
    return client.post(f"{page_url(world)}/first-meeting", data={"_csrf_token": token, **data},
                       follow_redirects=False)  # fmt: skip


def first_meetings(engine) -> list[FirstMeeting]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(FirstMeeting)))


def outbox(engine, kind: str) -> dict[str, OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        return {row.to_address: row for row in rows}


def ics_of(row: OutboxMessage) -> Calendar:
    message = mail.build_message(row, mail_from="Tandem <t@example.org>", now=START)
    parsed = message_from_bytes(message.as_bytes())
    files = [part for part in parsed.walk() if part.get_filename() == "tandem.ics"]
    assert len(files) == 1 and files[0].get_content_type() == "text/calendar"
    return Calendar.from_ical(files[0].get_payload(decode=True))


@time_machine.travel(START, tick=False)
def test_the_tandem_page_suggests_open_places_nearest_first(client, engine, world) -> None:
    login(client, "alice@example.org")
    page = html(client.get(page_url(world)))
    options = [int(label["data-option"]) for label in page.select("[data-option]")]
    assert options == [world.library, world.cafe]  # not the park (Saturday), not the archived
    assert "Nour" in page.select_one(f"[data-option='{world.library}']").get_text()
    assert page.select_one("[data-first-meeting-open]") is not None


@time_machine.travel(START, tick=False)
def test_it_saves_the_choice_and_mails_both_partners_with_an_ics(client, engine, world) -> None:
    login(client, "alice@example.org")
    response = choose(client, world, place=str(world.library), day="2026-03-10", time="18:30")
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=first_meeting#first-meeting")
    (meeting,) = first_meetings(engine)
    assert meeting.meeting_place_id == world.library
    assert meeting.starts_at == datetime(2026, 3, 10, 17, 30, tzinfo=UTC)  # CET = UTC+1
    sent = outbox(engine, "first_meeting")
    assert set(sent) == {"lena@example.org", "nour@example.org"}
    assert "Stadtbibliothek" in sent["nour@example.org"].body_text
    assert "اجتماعكما الأول" in sent["nour@example.org"].body_text  # Arabic for Nour
    assert "Stadtbibliothek بالعربية" in sent["nour@example.org"].body_text
    assert "Dienstag, 10. März 2026, 18:30" in sent["lena@example.org"].body_text
    calendar = ics_of(sent["nour@example.org"])
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Berlin"
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 3, 10, 18, 30, tzinfo=BERLIN)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert "Stadtbibliothek" in str(event["LOCATION"])
    text = calendar.to_ical().decode()
    assert "Nour" not in text and "Lena" not in text  # no names in a calendar file
    page = html(client.get(page_url(world)))
    assert "Stadtbibliothek" in page.select_one("[data-first-meeting]").get_text()


@time_machine.travel(START, tick=False)
def test_a_partner_without_e_mail_is_told_by_their_coordinator(client, engine, world) -> None:
    with db(engine) as session:
        nour = session.scalars(select(Participant).where(Participant.first_name == "Nour")).one()
        nour.email = None  # registered by a coordinator, reached by phone (issue 16)
    login(client, "alice@example.org")
    response = choose(client, world, place=str(world.library), day="2026-03-10", time="18:30")
    assert response.status_code == 303
    assert set(outbox(engine, "first_meeting")) == {"lena@example.org"}
    with db(engine) as session:
        [task] = session.scalars(select(ContactTask)).all()
        assert (task.participant_id, task.kind, task.tandem_id) == (
            nour.id,
            "first_meeting",
            world.tandem_id,
        )
    item = html(client.get("/coordinator/?lang=en")).find(attrs={"data-task": str(task.id)})
    assert "first meeting with Lena: tell them where and when" in item.get_text(" ", strip=True)
    assert item.find("a", href=page_url(world)) is not None  # where and when, on that page


@time_machine.travel(START, tick=False)
def test_summer_time_is_kept_in_the_invitation(client, engine, world) -> None:
    login(client, "alice@example.org")
    assert choose(client, world, place=str(world.cafe), day="2026-03-31",
                  time="18:00").status_code == 303  # fmt: skip
    (meeting,) = first_meetings(engine)
    assert meeting.starts_at == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # CEST = UTC+2
    (event,) = ics_of(outbox(engine, "first_meeting")["lena@example.org"]).walk("VEVENT")
    assert event.decoded("DTSTART").hour == 18


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day": "2026-03-11", "time": "18:00"}, "when"),  # a Wednesday: nobody has time
        ({"day": "2026-03-10", "time": "09:00"}, "when"),  # Tuesday morning
        ({"day": "2026-02-24", "time": "18:00"}, "when"),  # in the past
        ({"day": "2027-03-09", "time": "18:00"}, "when"),  # too far ahead
        ({"day": "10.03.2026", "time": "18:00"}, "when"),
        ({"day": "2026-03-10", "time": "late"}, "when"),
        ({"day": "2026-03-10", "time": "18:00", "place": "PARK"}, "place"),
        ({"day": "2026-03-10", "time": "18:00", "place": "ARCHIVED"}, "place"),
        ({"day": "2026-03-10", "time": "18:00", "place": "999999"}, "place"),
    ],
)
@time_machine.travel(START, tick=False)
def test_a_bad_choice_is_explained_and_kept(client, engine, world, data, field) -> None:  # type: ignore[no-untyped-def]
    login(client, "alice@example.org")
    place = {"PARK": str(world.park), "ARCHIVED": str(world.archived)}.get(
        data.get("place", ""), data.get("place", str(world.library))
    )
    response = choose(client, world, **{**data, "place": place})
    assert response.status_code == 400
    page = html(response)
    error = page.select_one(f"#f-{field}-error")
    assert error is not None and error.get_text(strip=True)
    assert page.select_one("#f-day")["value"] == data["day"]
    assert first_meetings(engine) == [] and outbox(engine, "first_meeting") == {}


@time_machine.travel(START, tick=False)
def test_leaving_it_to_the_partners_clears_the_choice(client, engine, world) -> None:
    login(client, "alice@example.org")
    choose(client, world, place=str(world.library), day="2026-03-10", time="18:00")
    response = choose(client, world, place="", day="", time="")
    assert response.headers["location"].endswith("?done=first_meeting_cleared#first-meeting")
    assert first_meetings(engine) == []


@time_machine.travel(START, tick=False)
def test_a_coordinator_of_another_region_gets_404(client, engine, world) -> None:
    login(client, "bob@example.org")
    assert client.get(page_url(world)).status_code == 404
    token = csrf_token(client, "/coordinator/places")
    response = client.post(f"{page_url(world)}/first-meeting", follow_redirects=False,
                           data={"_csrf_token": token, "place": str(world.library),
                                 "day": "2026-03-10", "time": "18:00"})  # fmt: skip
    assert response.status_code == 404
    assert first_meetings(engine) == []


@time_machine.travel(START, tick=False)
def test_the_proposal_and_the_started_mails_say_where_and_when(
    client, engine, settings, world
) -> None:  # type: ignore[no-untyped-def]
    login(client, "alice@example.org")
    choose(client, world, place=str(world.library), day="2026-03-10", time="18:00")
    with db(engine) as session:
        proposals.propose(
            session, session.get(Tandem, world.tandem_id), settings=settings, now=START
        )
    invitations = outbox(engine, "proposal")
    assert "Stadtbibliothek" in invitations["lena@example.org"].body_text
    assert ics_of(invitations["nour@example.org"]).walk("VEVENT")
    with db(engine) as session:
        for row in invitations.values():
            proposals.answer(session, LINK.search(row.body_text).group(1), "accept", now=START)  # type: ignore[union-attr]
    started = outbox(engine, "tandem_started")
    assert set(started) == {"lena@example.org", "nour@example.org"}
    assert "Stadtbibliothek" in started["nour@example.org"].body_text
    (event,) = ics_of(started["lena@example.org"]).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 18, 0, tzinfo=BERLIN)
