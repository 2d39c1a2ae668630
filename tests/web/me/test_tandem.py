""" "Something is wrong" from "my profile": a partner reports a problem or ends their tandem.

Lena (local, German) and Nour (newcomer, Arabic) are a tandem in Kassel, which
Alice coordinates; Omar is another newcomer there, in a tandem of his own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlmodel import Session

from tests.builders import (
    Pair,
    build_tandem,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_region,
    reload,
)
from tests.builders import open_profile as open_profile_link
from web.core.models import AuditLog, OutboxMessage, ProblemReport, Region, Tandem

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english(client) -> None:  # type: ignore[no-untyped-def]
    client.headers["accept-language"] = "en"  # the assertions read English text


@pytest.fixture
def world(engine) -> dict[str, Pair]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        return {
            "tandem": build_tandem(session, kassel),
            "other": build_tandem(session, kassel, local_name="Uwe", newcomer_name="Omar"),
        }


def open_profile(client, engine, person_id: int) -> None:  # type: ignore[no-untyped-def]
    """Open "my profile" from a link (it speaks the person's language), then pick English."""
    open_profile_link(client, engine, person_id)
    client.get("/me?lang=en")


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={**data, "_csrf_token": csrf_token(client, "/me")}, follow_redirects=False
    )


def reports(engine) -> list[ProblemReport]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(ProblemReport).order_by(ProblemReport.id)))


def outbox(engine, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_my_profile_shows_my_tandem_with_the_partners_first_name(client, engine, world):
    open_profile(client, engine, world["tandem"].newcomer_id)
    page = html(client.get("/me"))
    [card] = page.select("section.tandem-card")
    assert card["data-tandem"] == world["tandem"].public_id
    assert card.find("h2").get_text(strip=True) == "Your tandem with Lena"
    assert "Together since March 2, 2026." in card.get_text()
    assert card.select_one(f"form[action='/me/tandem/{world['tandem'].public_id}/report']")
    assert card.select_one(f"form[action='/me/tandem/{world['tandem'].public_id}/end']")
    assert "Omar" not in page.get_text() and "Uwe" not in page.get_text()


def test_a_local_sees_each_of_their_tandems(client, engine, world):
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        second = build_tandem(session, kassel, local_name="Tmp", newcomer_name="Amal")
        session.get(Tandem, second.tandem_id).local_id = world["tandem"].local_id  # type: ignore[union-attr]
    open_profile(client, engine, world["tandem"].local_id)
    titles = [h.get_text(strip=True) for h in html(client.get("/me")).select(".tandem-card h2")]
    assert titles == ["Your tandem with Nour", "Your tandem with Amal"]


def test_a_report_lands_in_the_database_and_on_the_coordinators_page(client, engine, world):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.newcomer_id)
    response = post(
        client, f"/me/tandem/{tandem.public_id}/report", kind="unreachable",
        note="  Lena has not answered\u202e for three weeks  ",
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == f"/me/tandem/{tandem.public_id}?done=reported"
    thanks = html(client.get(response.headers["location"]))
    assert "A coordinator will look at it" in thanks.select_one(".notice").get_text()
    [row] = reports(engine)
    assert (row.tandem_id, row.reporter_role, row.kind, row.handled_at) == (
        tandem.tandem_id,
        "newcomer",
        "unreachable",
        None,
    )
    assert row.note == "Lena has not answered for three weeks"
    with Session(engine) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "problem.reported")).one()
        assert (audit.actor_type, audit.actor_id) == ("participant", tandem.newcomer_id)

    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/tandems/{tandem.public_id}"))
    report = page.select_one("li[data-report]")
    assert "open" in report["class"]
    assert "My partner does not answer" in report.get_text()
    assert "Lena has not answered for three weeks" in report.get_text()
    listing = html(client.get("/coordinator/tandems"))
    row_html = listing.select_one(f"tr[data-tandem='{tandem.public_id}']")
    assert "1 open report" in row_html.get_text()


def test_a_second_report_of_the_same_kind_adds_to_the_first(client, engine, world):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.local_id)
    path = f"/me/tandem/{tandem.public_id}/report"
    post(client, path, kind="not_ok", note="First")
    post(client, path, kind="not_ok", note="Second")
    post(client, path, kind="not_ok")
    post(client, path, kind="unreachable", note="x" * 1500)
    rows = reports(engine)
    assert [(r.reporter_role, r.kind, r.note) for r in rows] == [
        ("local", "not_ok", "First\n\nSecond"),
        ("local", "unreachable", "x" * 1000),
    ]


@pytest.mark.parametrize("kind", ["", "angry", "unreachable "])
def test_a_report_needs_a_known_kind(client, engine, world, kind):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.newcomer_id)
    response = post(client, f"/me/tandem/{tandem.public_id}/report", kind=kind, note="kept")
    assert response.status_code == 400
    page = html(response)
    assert "Please choose what is wrong." in page.select_one("[role=alert]").get_text()
    assert page.find("textarea", attrs={"name": "note"}).get_text() == "kept"
    assert reports(engine) == []


def test_strangers_cannot_see_or_touch_someone_elses_tandem(client, engine, world):
    tandem = world["tandem"]
    base = f"/me/tandem/{tandem.public_id}"
    assert client.get(base).status_code == 401  # no session at all
    open_profile(client, engine, world["other"].newcomer_id)  # Omar
    assert client.get(base).status_code == 404
    assert post(client, f"{base}/report", kind="not_ok").status_code == 404
    assert post(client, f"{base}/end", reason="other", confirm="1").status_code == 404
    assert reports(engine) == []
    assert reload(engine, tandem)[0].status == "active"


def test_ending_my_tandem_tells_the_partner_kindly_without_the_reason(client, engine, world):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.newcomer_id)  # Nour ends it
    response = post(client, f"/me/tandem/{tandem.public_id}/end", reason="conflict", confirm="1")
    assert response.status_code == 303
    assert response.headers["location"] == f"/me/tandem/{tandem.public_id}?done=ended"
    row, lena, nour = reload(engine, tandem)
    assert (row.status, row.end_reason, row.ended_by, row.ended_at) == (
        "ended",
        "conflict",
        "newcomer",
        NOW,
    )
    assert (lena.open_tandems, nour.open_tandems) == (0, 0)
    [message] = outbox(engine, "tandem_ended")
    assert (message.to_address, message.locale) == ("lena@kassel.example", "de")
    assert "Nour" in message.subject and "Nour" in message.body_text
    for leak in ("conflict", "Conflict", "Konflikt", "reason", "Grund"):
        assert leak not in message.body_text and leak not in (message.body_html or "")
    assert "/me/new-link" in message.body_text
    with Session(engine) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "tandem.ended")).one()
        assert (audit.actor_type, audit.actor_id) == ("participant", tandem.newcomer_id)
    page = html(client.get(response.headers["location"]))
    assert "We have let your partner know" in page.select_one(".notice").get_text()
    assert "Continue looking for a partner" in page.get_text()
    assert not html(client.get("/me")).select("section.tandem-card")
    # Ended: no more reports, no second end.
    assert post(client, f"/me/tandem/{tandem.public_id}/report", kind="not_ok").status_code == 409
    again = post(client, f"/me/tandem/{tandem.public_id}/end", reason="other", confirm="1")
    assert again.status_code == 409
    assert len(outbox(engine, "tandem_ended")) == 1


def test_a_newcomer_partner_is_told_in_their_language_how_to_look_again(client, engine, world):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.local_id)  # Lena ends it
    post(client, f"/me/tandem/{tandem.public_id}/end", reason="moved_away", confirm="1")
    [message] = outbox(engine, "tandem_ended")
    assert (message.to_address, message.locale) == ("nour@kassel.example", "ar")
    assert 'dir="rtl"' in (message.body_html or "")
    assert reload(engine, tandem)[2].status == "paused"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "confirm": "1"}, "Please choose why"),
        ({"reason": "fed_up", "confirm": "1"}, "Please choose why"),
        ({"reason": "no_time"}, "Please tick the box"),
    ],
)
def test_ending_needs_a_reason_and_a_tick(client, engine, world, data, message):
    tandem = world["tandem"]
    open_profile(client, engine, tandem.newcomer_id)
    response = post(client, f"/me/tandem/{tandem.public_id}/end", **data)
    assert response.status_code == 400
    assert message in html(response).select_one("[role=alert]").get_text()
    assert reload(engine, tandem)[0].status == "active"
    assert outbox(engine, "tandem_ended") == []
