"""The review queue: approve, ask for a call, decline, and record a local's vetting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlmodel import Session

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_participant,
)
from tests.worlds import two_regions
from web.core.models import AuditLog, Participant, Tandem, Vetting

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Alice serves Kassel, Bob serves Göttingen, Ada is an admin; people waiting in both."""
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen

        def pending(region, days_ago, **overrides):  # type: ignore[no-untyped-def]
            return make_participant(
                session, region, status="pending",
                verified_at=NOW - timedelta(days=days_ago), **overrides,
            ).public_id  # fmt: skip

        ids = {
            "nour": pending(
                kassel,
                3,
                first_name="Nour",
                waiting_since=date(2026, 1, 10),
                languages={"ar": "native", "de": "A2"},
                help_topics=["paperwork"],
                slots=["tue_evening", "sat_morning"],
                birth_year=2001,
                about_me="<script>alert(1)</script> I like tea",
                last_name="Haddad",
                phone="+495611234567",
                contact_channel="phone",
                interpreter_language="ar",
            ),  # fmt: skip
            "lena": pending(kassel, 5, role="local", first_name="Lena", capacity=2),
            "omar": pending(kassel, 1, first_name="Omar"),
            "karim": pending(goettingen, 2, first_name="Karim"),
            "jonas": pending(goettingen, 2, role="local", first_name="Jonas"),
        }
        ids["active_local"] = make_participant(
            session, kassel, role="local", first_name="Ute", approved_at=NOW - timedelta(days=9)
        ).public_id
        ids["active_newcomer"] = make_participant(session, kassel, first_name="Sami").public_id
        ids["bob_active_local"] = make_participant(
            session, goettingen, role="local", first_name="Gerd"
        ).public_id
    return ids


def person(engine, public_id: str) -> Participant:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        found = session.scalars(select(Participant).where(Participant.public_id == public_id)).one()
        found.vetting  # noqa: B018 (load it before the session closes)
        return found


def audit_actions(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        return [(row.action, row.subject_id) for row in rows if row.subject_type == "participant"]


def queue_ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    page = html(client.get("/coordinator/review"))
    return [card["data-participant"] for card in page.select("article[data-participant]")]


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/review")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def test_the_queue_lists_own_regions_pending_people_oldest_first(client, world):
    login(client, "alice@example.org")
    assert queue_ids(client) == [world["lena"], world["nour"], world["omar"]]


def test_bob_sees_only_goettingen(client, world):
    login(client, "bob@example.org")
    assert set(queue_ids(client)) == {world["karim"], world["jonas"]}


def test_an_admin_sees_everyone_waiting(client, world):
    login(client, "ada@example.org")
    expected = {world[name] for name in ("nour", "lena", "omar", "karim", "jonas")}
    assert set(queue_ids(client)) == expected


def test_the_queue_shows_what_a_coordinator_needs_to_decide(client, engine, world):
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/review?lang=en"))
    card = page.select_one(f'article[data-participant="{world["nour"]}"]')
    # Full name and town, linked to their page.
    assert card.h2.get_text(" ", strip=True) == "Nour Haddad (kassel-town)"
    assert card.h2.a["href"] == f"/coordinator/participants/{world['nour']}"
    # Contact details: e-mail, the phone as dialled in Germany, how they like to be reached,
    # and the interpreter they need.
    nour = person(engine, world["nour"])
    assert card.select_one('[data-field="email"]').get_text(strip=True) == nour.email
    assert card.select_one('[data-field="phone"]').get_text(strip=True) == "0561 1234567"
    assert card.select_one('[data-field="contact_channel"]').get_text() == "Phone call"
    assert card.select_one('[data-field="interpreter_language"]').get_text() == "Arabic"
    languages = [s.get_text() for s in card.select('[data-field="languages"] .lang')]
    assert languages == ["Arabic First language", "German A2 – simple everyday sentences"]
    assert "Paperwork and appointments" in card.select_one('[data-field="help_topics"]').get_text()
    assert card.select_one('[data-field="age"]').get_text() == "25"
    assert card.select_one('[data-field="slots"]').get_text(strip=True) == "2 time slots"
    # The whole week as a grid: 3 parts of the day × 7 days, the two free times marked.
    grid = card.select_one('[data-field="slot-grid"]')
    assert len(grid.select("tbody tr")) == 3 and len(grid.select("tbody td")) == 21
    assert sorted(cell["data-slot"] for cell in grid.select("td.yes")) == [
        "sat_morning",
        "tue_evening",
    ]
    assert [th.get_text() for th in grid.select("thead th")][:2] == ["Mo", "Tu"]
    # Free text is shown as text, never as markup.
    about = card.select_one('[data-field="about_me"]')
    assert about.get_text() == "<script>alert(1)</script> I like tea"
    assert about.find("script") is None
    local = page.select_one(f'article[data-participant="{world["lena"]}"]')
    assert "Not seen yet" in local.select_one('[data-field="vetting"]').get_text()
    assert local.find("form", action=f"/coordinator/participants/{world['lena']}/vetting")
    assert card.find("form", action=f"/coordinator/participants/{world['nour']}/vetting") is None


def test_it_approves_a_newcomer_keeping_their_waiting_time(client, engine, world):
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/review/{world['nour']}/approve")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/coordinator/review?done=approved")
    nour = person(engine, world["nour"])
    assert nour.status == "active"
    assert nour.approved_at == NOW
    assert nour.waiting_since == date(2026, 1, 10)
    assert audit_actions(engine) == [("participant.approved", str(nour.id))]
    page = html(client.get(response.headers["location"] + "&lang=en"))
    flash = page.select_one('[data-flash="approved"]').get_text(strip=True)
    assert flash == "Approved: Nour Haddad can now be matched."
    assert world["nour"] not in queue_ids(client)


def test_approving_a_newcomer_without_a_waiting_date_starts_it_today(client, engine, world):
    login(client, "alice@example.org")
    post(client, f"/coordinator/review/{world['omar']}/approve")
    assert person(engine, world["omar"]).waiting_since == TODAY


def test_approving_a_local_leaves_their_waiting_date_alone(client, engine, world):
    login(client, "alice@example.org")
    post(client, f"/coordinator/review/{world['lena']}/approve")
    lena = person(engine, world["lena"])
    assert (lena.status, lena.waiting_since) == ("active", None)


def test_it_asks_for_a_call(client, engine, world):
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/review/{world['omar']}/call")
    assert response.status_code == 303
    omar = person(engine, world["omar"])
    assert (omar.status, omar.call_requested_at) == ("pending", NOW)
    assert audit_actions(engine) == [("participant.call_requested", str(omar.id))]
    page = html(client.get("/coordinator/review?lang=en"))
    card = page.select_one(f'article[data-participant="{world["omar"]}"]')
    assert card.select_one('[data-field="call"]').get_text() == "Call requested"
    assert card.find("form", action=f"/coordinator/review/{world['omar']}/call") is None


def test_it_declines_and_drops_their_suggestions(client, engine, world):
    with db(engine) as session:
        omar = session.scalars(
            select(Participant).where(Participant.public_id == world["omar"])
        ).one()
        ute = session.scalars(
            select(Participant).where(Participant.public_id == world["active_local"])
        ).one()
        session.add(Tandem(local_id=ute.id, newcomer_id=omar.id, region_id=1, status="suggested"))
        session.add(Tandem(local_id=ute.id, newcomer_id=omar.id, region_id=1, status="rejected"))
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/review/{world['omar']}/decline", reason="duplicate")
    assert response.status_code == 303
    omar = person(engine, world["omar"])
    assert omar.status == "declined"
    with Session(engine) as session:
        left = session.scalars(select(Tandem.status).where(Tandem.newcomer_id == omar.id)).all()
    assert left == ["rejected"]
    assert audit_actions(engine) == [("participant.declined", str(omar.id))]


def test_a_second_decision_on_the_same_person_says_already_handled(client, engine, world):
    login(client, "alice@example.org")
    post(client, f"/coordinator/review/{world['nour']}/approve")
    response = post(client, f"/coordinator/review/{world['nour']}/decline", reason="other")
    assert response.status_code == 303
    assert "done=already" in response.headers["location"]
    assert person(engine, world["nour"]).status == "active"
    assert [action for action, _ in audit_actions(engine)] == ["participant.approved"]
    page = html(client.get(response.headers["location"]))
    assert page.select_one('[data-flash="already"]') is not None


# --- vetting ---------------------------------------------------------------------------


def vet(client, public_id: str, certificate_date: str, seen: bool = True):  # type: ignore[no-untyped-def]
    data = {"certificate_date": certificate_date}
    if seen:
        data["seen_original"] = "1"
    return post(client, f"/coordinator/participants/{public_id}/vetting", **data)


def test_it_records_the_vetting_of_a_pending_local(client, engine, world):
    login(client, "alice@example.org")
    response = vet(client, world["lena"], "2026-02-01")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/coordinator/review?done=vetted")
    lena = person(engine, world["lena"])
    assert lena.vetting.certificate_date == date(2026, 2, 1)
    assert lena.vetting.seen_on == TODAY
    assert lena.vetting.seen_by_id is not None
    assert lena.status == "pending"  # vetting is not approval
    assert audit_actions(engine) == [("participant.vetting_recorded", str(lena.id))]


def test_recording_again_updates_the_one_vetting_row(client, engine, world):
    login(client, "alice@example.org")
    vet(client, world["active_local"], "2022-01-01")
    response = vet(client, world["active_local"], "01.04.2026")  # German date format too
    assert response.status_code == 303
    assert response.headers["location"].startswith(
        f"/coordinator/participants/{world['active_local']}/vetting?done=vetted"
    )
    with Session(engine) as session:
        rows = session.scalars(select(Vetting)).all()
    assert [row.certificate_date for row in rows] == [date(2026, 4, 1)]
    page = html(client.get(response.headers["location"] + "&lang=en"))
    assert page.select_one('[data-flash="vetted"]') is not None
    assert "certificate of April 1, 2026" in page.get_text()


def test_active_locals_without_vetting_are_listed_with_a_link(client, engine, world):
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/review"))
    listed = [item["data-participant"] for item in page.select("ul.unvetted li")]
    assert listed == [world["active_local"]]
    vet(client, world["active_local"], "2026-01-01")
    page = html(client.get("/coordinator/review"))
    assert page.select("ul.unvetted li") == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-06-01", "cannot be in the future"),
        ("2021-05-03", "more than 5 years old"),
        ("yesterday", "Please enter the date printed on the certificate"),
        ("2026-02-30", "Please enter the date printed on the certificate"),
        ("", "Please enter the date printed on the certificate"),
    ],
)
def test_it_rejects_a_bad_certificate_date(client, engine, world, typed, message):
    login(client, "alice@example.org")
    client.get("/coordinator/review?lang=en")
    response = vet(client, world["lena"], typed)
    assert response.status_code == 400
    page = html(response)
    field = page.find("input", attrs={"name": "certificate_date"})
    assert field["value"] == typed
    assert field["aria-invalid"] == "true"
    assert message in page.select_one("p.error").get_text()
    assert page.find("input", attrs={"name": "seen_original"}).has_attr("checked")
    assert person(engine, world["lena"]).vetting is None
    assert audit_actions(engine) == []


def test_a_certificate_exactly_five_years_old_is_accepted(client, engine, world):
    login(client, "alice@example.org")
    assert vet(client, world["lena"], "2021-05-04").status_code == 303


def test_it_needs_the_confirmation_that_the_original_was_seen(client, engine, world):
    login(client, "alice@example.org")
    client.get("/coordinator/review?lang=en")
    response = vet(client, world["lena"], "2026-02-01", seen=False)
    assert response.status_code == 400
    page = html(response)
    assert page.find("input", attrs={"name": "certificate_date"})["value"] == "2026-02-01"
    assert "seen the original" in page.select_one("p.error").get_text()
    assert person(engine, world["lena"]).vetting is None


def test_newcomers_have_no_vetting_form(client, world):
    login(client, "alice@example.org")
    assert client.get(f"/coordinator/participants/{world['nour']}/vetting").status_code == 404
    assert vet(client, world["nour"], "2026-02-01").status_code == 404


def test_the_vetting_page_is_in_german_and_has_the_form(client, world):
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/participants/{world['active_local']}/vetting"))
    assert page.find("form", action=f"/coordinator/participants/{world['active_local']}/vetting")


# --- access ----------------------------------------------------------------------------


ROUTES = [
    ("post", "/coordinator/review/{id}/approve", "karim"),
    ("post", "/coordinator/review/{id}/call", "karim"),
    ("post", "/coordinator/review/{id}/decline", "karim"),
    ("post", "/coordinator/review/{id}/undo", "karim"),
    ("get", "/coordinator/participants/{id}/vetting", "jonas"),
    ("post", "/coordinator/participants/{id}/vetting", "jonas"),
    ("get", "/coordinator/participants/{id}/vetting", "bob_active_local"),
    ("post", "/coordinator/participants/{id}/vetting", "bob_active_local"),
]


@pytest.mark.parametrize(("method", "path", "who"), ROUTES)
def test_alice_gets_404_for_goettingen_people(client, engine, world, method, path, who):
    login(client, "alice@example.org")
    url = path.format(id=world[who])
    if method == "get":
        response = client.get(url)
    else:
        response = post(
            client, url, certificate_date="2026-02-01", seen_original="1", reason="other"
        )
    assert response.status_code == 404
    stranger = person(engine, world[who])
    assert stranger.status in ("pending", "active") and stranger.call_requested_at is None
    assert stranger.vetting is None
    assert audit_actions(engine) == []


@pytest.mark.parametrize(("method", "path", "who"), ROUTES)
def test_an_admin_may_act_everywhere(client, engine, world, method, path, who):
    login(client, "ada@example.org")
    url = path.format(id=world[who])
    if method == "get":
        assert client.get(url).status_code == 200
    else:
        response = post(
            client, url, certificate_date="2026-02-01", seen_original="1", reason="other"
        )
        assert response.status_code == 303


def test_the_queue_needs_a_login(client, world):
    response = client.get("/coordinator/review", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


def test_actions_need_the_csrf_token(client, engine, world):
    login(client, "alice@example.org")
    response = client.post(f"/coordinator/review/{world['nour']}/approve", follow_redirects=False)
    assert response.status_code == 403
    assert person(engine, world["nour"]).status == "pending"


def test_a_flash_for_another_regions_person_is_not_shown(client, world):
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/review?done=approved&who={world['karim']}"))
    assert page.select_one("[data-flash]") is None
    assert "Karim" not in page.get_text()
