"""Needing step-free access (issue 17): an optional answer on every form that edits a
person, in their data export, and taken into account where Tandem suggests a place — the
first meeting of a tandem and the events near a person.

Omar (newcomer) uses a wheelchair; Lena (local) does not need step-free access. Alice
coordinates Kassel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_occasion_near,
    make_participant,
    make_region,
    open_profile,
    people,
    submit,
    valid_form,
)
from web.core.models import MeetingPlace, Participant, Tandem
from web.events import nearby
from web.places import first_meeting

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_public_sign_up_form_asks_and_stores_it(client, engine) -> None:
    make_region_in(engine)
    box = html(client.get("/signup/newcomer")).select_one("input[name=needs_step_free]")
    assert box is not None and not box.has_attr("checked")  # optional, not pre-ticked
    assert submit(client, needs_step_free="1").status_code == 303
    assert submit(client, email="lena@example.org", first_name="Lena").status_code == 303
    stored = {person.first_name: person.needs_step_free for person in people(engine)}
    assert stored == {"Nour": True, "Lena": False}


def make_region_in(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])


def test_a_coordinator_records_it_at_an_assisted_registration(client, engine) -> None:
    make_region_in(engine)
    login(client, "alice@example.org")
    form = valid_form(
        email="",
        first_name="Omar",
        needs_step_free="1",
        phone="0151 23456789",
        contact_channel="phone",
        consent_method="phone",
        person_locale="de",
    )
    token = csrf_token(client, "/coordinator/register/newcomer")
    response = client.post("/coordinator/register/newcomer", follow_redirects=False,
                           data={**form, "_csrf_token": token})  # fmt: skip
    assert response.status_code == 303, response.text
    (omar,) = people(engine)
    assert omar.needs_step_free is True
    detail = html(client.get(f"/coordinator/participants/{omar.public_id}?lang=en"))
    assert detail.select_one("[data-field=needs_step_free]").get_text() == "Yes"


def test_the_person_changes_it_on_their_profile_and_finds_it_in_their_export(
    client, engine
) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        omar = make_participant(session, kassel, first_name="Omar", needs_step_free=True)
        omar_id = omar.id
    open_profile(client, engine, omar_id)  # type: ignore[arg-type]
    assert html(client.get("/me/edit")).select_one("input[name=needs_step_free][checked]")
    profile = html(client.get("/me?lang=en"))
    assert profile.select_one("dd[data-field=needs_step_free]").get_text() == (
        "I need step-free access"
    )
    data = valid_form(first_name="Omar", email="", _csrf_token=csrf_token(client, "/me/edit"))
    response = client.post("/me/edit", data=data, follow_redirects=False)  # box not ticked
    assert response.status_code == 303, response.text
    with db(engine) as session:
        assert session.get(Participant, omar_id).needs_step_free is False  # type: ignore[union-attr]
    exported = json.loads(client.get("/me/export").content)["profile"]
    assert exported["needs_step_free"] is False and exported["whats_on_mail"] is True


def test_the_first_meeting_goes_only_where_there_are_no_steps(engine) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        session.refresh(kassel)
        town = kassel.places[0]
        lena = make_participant(session, kassel, role="local", slots=["tue_evening"])
        omar = make_participant(session, kassel, slots=["tue_evening"], needs_step_free=True)
        ids = {}
        for name, step_free, km in (("Keller", False, 0.0), ("Bibliothek", True, 3.0)):
            place = MeetingPlace(region_id=kassel.id, name=name, kind="library",
                                 town_id=town.id, lat=town.lat + km / 111, lon=town.lon,
                                 slots=["tue_evening"], step_free=step_free)  # fmt: skip
            session.add(place)
            session.flush()
            ids[name] = place.id
        tandem = Tandem(local_id=lena.id, newcomer_id=omar.id, region_id=kassel.id,
                        status="proposed")  # fmt: skip
        session.add(tandem)
        session.flush()
        options = first_meeting.options_for(session, tandem)
        assert [option.place.id for option in options] == [ids["Bibliothek"]]
        assert "step_free" in [reason.code for reason in options[0].suggestion.reasons]
        omar.needs_step_free = False
        session.flush()
        nearest = first_meeting.options_for(session, tandem)
        assert [option.place.id for option in nearest] == [ids["Keller"], ids["Bibliothek"]]


@time_machine.travel(NOW, tick=False)
def test_events_near_a_person_who_needs_it_are_at_step_free_places(engine) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        steps = make_occasion_near(session, kassel, "Keller", starts=NOW + timedelta(days=2))
        level = make_occasion_near(session, kassel, "Bibliothek", starts=NOW + timedelta(days=3),
                              km_north=3, step_free=True)  # fmt: skip
        omar = make_participant(session, kassel, needs_step_free=True)
        lena = make_participant(session, kassel, role="local")
        assert [n.occasion.id for n in nearby.for_person(session, omar, now=NOW)] == [level.id]
        assert [n.occasion.id for n in nearby.for_person(session, lena, now=NOW)] == [
            steps.id,
            level.id,
        ]
