from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from tests.builders import csrf_token, db, html, make_participant, make_region, open_profile
from tests.builders import post_as_me as post
from web.core import links
from web.core.models import Consent, Event, Participant, Tandem, metadata, utcnow

CANARIES = ("Canarina", "canary.person@example.org", "Vogelsang", "sings at dawn")


@pytest.fixture
def nour(engine) -> int:  # type: ignore[no-untyped-def]
    """A newcomer in Kassel with every optional field filled, and a stranger beside her."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        person = make_participant(
            session,
            kassel,
            first_name=CANARIES[0],
            email=CANARIES[1],
            last_name=CANARIES[2],
            about_me=CANARIES[3],
            status="active",
            interests=["cooking"],
            learning=["de"],
            help_topics=["paperwork"],
            slots=["tue_evening", "sat_morning"],
            partner_genders=["female"],
            gender="female",
            online_ok=True,
            languages={"ar": "native", "de": "A2"},
            waiting_since=utcnow().date() - timedelta(days=30),
        )
        session.add(
            Consent(participant_id=person.id, purpose="matching", text_version="v1", language="ar")
        )
        local = make_participant(
            session, kassel, role="local", first_name="Stranger", email="stranger@example.org"
        )
        session.add(
            Tandem(
                local_id=local.id, newcomer_id=person.id, region_id=kassel.id, status="suggested"
            )
        )
        return person.id


def status_of(engine, person_id: int) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.get(Participant, person_id).status


def test_the_profile_needs_a_link(client):
    response = client.get("/me")
    assert response.status_code == 401
    assert html(response).find("form", attrs={"action": "/me/new-link"}) is not None


def test_a_profile_link_opens_the_profile(client, engine, nour):
    open_profile(client, engine, nour)
    page = html(client.get("/me"))
    assert CANARIES[0] in page.find("h1").get_text()


def test_an_expired_profile_link_is_refused(client, engine, nour):
    with Session(engine) as session, session.begin():
        raw = links.issue(
            session,
            session.get(Participant, nour),
            "profile",
            now=utcnow() - timedelta(days=31),
            lifetime=timedelta(days=30),
        )
    response = client.post(
        f"/me/open/{raw}", data={"_csrf_token": csrf_token(client, "/me/new-link")}
    )
    assert response.status_code == 400
    assert client.get("/me").status_code == 401


def test_the_new_link_form_never_says_whether_an_address_is_known(client, engine, nour):
    def ask(email: str) -> str:
        response = client.post(
            "/me/new-link", data={"email": email, "_csrf_token": csrf_token(client, "/me/new-link")}
        )
        assert response.status_code == 200
        return html(response).find(attrs={"role": "status"}).get_text()

    assert ask(CANARIES[1]) == ask("nobody@example.org")
    with db(engine) as session:
        kinds = session.execute(text("SELECT kind, to_address FROM outbox_message")).all()
    assert [tuple(row) for row in kinds] == [("profile_link", CANARIES[1])]


def test_a_person_edits_their_profile_and_the_form_keeps_values(client, engine, nour):
    open_profile(client, engine, nour)
    page = html(client.get("/me/edit"))
    assert page.find("input", attrs={"name": "first_name"})["value"] == CANARIES[0]
    assert page.find("input", attrs={"name": "slots", "value": "sat_morning"}).has_attr("checked")
    data = {
        "first_name": "Nour",
        "birth_year": "1990",
        "place": "kassel-town",
        "language_1": "ar",
        "level_1": "native",
        "language_2": "en",
        "level_2": "B2",
        "help_topics": ["job"],
        "slots": ["mon_morning"],
        "partner_wish": "any",
    }
    assert post(client, "/me/edit", **data).status_code == 303
    with db(engine) as session:
        person = session.get(Participant, nour)
        assert person.first_name == "Nour" and person.slots == ["mon_morning"]
        assert {(s.language, s.level) for s in person.languages} == {("ar", "native"), ("en", "B2")}
        assert person.partner_genders == [] and person.email == CANARIES[1]
    bad = post(client, "/me/edit", **{**data, "birth_year": "abc"})
    assert bad.status_code == 400
    assert html(bad).find("input", attrs={"name": "first_name"})["value"] == "Nour"


def test_pausing_and_resuming(client, engine, nour):
    open_profile(client, engine, nour)
    post(client, "/me/pause")
    assert status_of(engine, nour) == "paused"
    with db(engine) as session:  # out of matching at once: open suggestions are gone
        assert session.scalars(select(Tandem)).all() == []
    post(client, "/me/resume")
    assert status_of(engine, nour) == "pending"  # never approved by a coordinator


def test_withdrawing_consent_leaves_the_programme(client, engine, nour):
    open_profile(client, engine, nour)
    post(client, "/me/withdraw")
    assert status_of(engine, nour) == "withdrawn"
    with db(engine) as session:
        consents = session.scalars(select(Consent)).all()
        assert consents and all(c.withdrawn_at is not None for c in consents)


def test_the_export_holds_every_stored_field_and_nobody_else(client, engine, nour):
    open_profile(client, engine, nour)
    response = client.get("/me/export")
    assert response.headers["content-type"].startswith("application/json")
    data = json.loads(response.content)
    profile = data["profile"]
    stored = {c.name for c in Participant.__table__.columns} - {"id", "public_id", "place_id"}
    assert stored <= set(profile), stored - set(profile)
    assert profile["first_name"] == CANARIES[0] and profile["about_me"] == CANARIES[3]
    assert profile["languages"] == {"ar": "native", "de": "A2"}
    assert data["consents"][0]["purpose"] == "matching"
    assert "Stranger" not in response.text and "stranger@example.org" not in response.text


def dump(engine) -> str:  # type: ignore[no-untyped-def]
    """Every value in every table, as one string to search."""
    parts = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for value in row:
                    parts.append(
                        value.decode(errors="ignore") if isinstance(value, bytes) else str(value)
                    )
    return "\n".join(parts)


def test_erasure_leaves_no_trace(client, engine, nour):
    open_profile(client, engine, nour)
    assert all(canary in dump(engine) for canary in CANARIES)
    refused = post(client, "/me/erase")
    assert refused.status_code == 400  # the box was not ticked
    erased = post(client, "/me/erase", confirm="1")
    assert erased.status_code == 303 and erased.headers["location"] == "/me/erased"
    everything = dump(engine)
    for canary in CANARIES:
        assert canary not in everything
    with db(engine) as session:
        assert session.get(Participant, nour) is None
        assert session.scalars(select(Participant.first_name)).all() == ["Stranger"]
    assert client.get("/me").status_code == 401


def test_erasure_keeps_an_anonymous_record_of_a_running_tandem(client, engine, nour):
    with db(engine) as session:
        local_id = session.scalars(select(Participant.id).where(Participant.role == "local")).one()
        session.execute(text("DELETE FROM tandem"))
        region_id = session.scalars(select(Tandem.region_id)).first()
        session.add(
            Tandem(
                local_id=local_id,
                newcomer_id=nour,
                status="active",
                region_id=session.get(Participant, nour).place.region_id,
            )
        )
        assert region_id is None
    open_profile(client, engine, nour)
    post(client, "/me/erase", confirm="1")
    with db(engine) as session:
        [record] = session.scalars(select(Tandem)).all()
        assert (record.newcomer_id, record.local_id, record.status) == (None, local_id, "ended")
        assert session.get(Participant, local_id).open_tandems == 0  # the local is free again
        kinds = sorted(session.scalars(select(Event.kind)).all())
        assert kinds == ["ended", "erased"]
