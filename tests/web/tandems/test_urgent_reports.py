"""Issue 15 §5: "urgent / I don't feel safe" — the region's coordinators get an e-mail at
once (through the job queue, immediate in tests), the dashboard shows the report first,
and "Mark as handled" asks what was done.

Lena (local) and Nour (newcomer) are a tandem in Kassel: Alice and Carla coordinate it,
Bob coordinates Göttingen (and is told nothing).
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
)
from tests.builders import open_profile as open_profile_link
from web.core.models import AuditLog, OutboxMessage, ProblemReport

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(engine) -> Pair:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "carla@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[make_region(session, "goettingen")])
        return build_tandem(session, kassel)


def report_as_nour(client, engine, world: Pair, **data: str):  # type: ignore[no-untyped-def]
    open_profile_link(client, engine, world.newcomer_id)
    token = csrf_token(client, "/me")
    return client.post(
        f"/me/tandem/{world.public_id}/report", data={**data, "_csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def mails(engine, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


@pytest.mark.sends_mail  # the queue's sending job really sends (to the mail folder)
def test_an_urgent_report_alerts_the_regions_coordinators_at_once(client, engine, world):
    response = report_as_nour(client, engine, world, kind="not_ok", urgent="1",
                              note="He shouted at me")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=urgent")
    thanks = html(client.get(response.headers["location"] + "&lang=en"))
    assert "110" in thanks.select_one(".notice").get_text()
    [row] = session_reports(engine)
    assert row.urgent and row.handled_at is None
    alerts = mails(engine, "urgent_report")
    assert len(alerts) == 2
    # Sent at once by the job queue (immediate in tests), so the outbox kept no text.
    assert all(m.sent_at == NOW and m.to_address == "" for m in alerts)
    with Session(engine) as session:
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"problem.reported", "problem.urgent_alert"} <= actions


def test_the_alert_names_no_one(engine, world):
    from web.core.models import Participant
    from web.me import tandem as my_tandem

    with db(engine) as session:
        nour = session.get(Participant, world.newcomer_id)
        [mine] = my_tandem.current_tandems(session, nour)  # type: ignore[arg-type]
        my_tandem.report(session, mine, nour, kind="not_ok", note="Lena Schäfer hit me",  # type: ignore[arg-type]
                         now=NOW, urgent=True, base_url="https://tandem.example")  # fmt: skip
        bodies = session.execute(
            select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text).where(
                OutboxMessage.kind == "urgent_report"
            )
        ).all()
    assert {to for to, _s, _b in bodies} == {"alice@example.org", "carla@example.org"}
    for _to, subject, body in bodies:
        assert "kassel" in subject.lower()
        assert "https://tandem.example/coordinator/" in body
        for secret in ("Lena", "Nour", "Schäfer", "hit me"):
            assert secret not in subject + body


def test_an_ordinary_report_alerts_no_one(client, engine, world):
    assert report_as_nour(client, engine, world, kind="unreachable").status_code == 303
    assert mails(engine, "urgent_report") == []
    assert not session_reports(engine)[0].urgent


def test_the_dashboard_shows_the_urgent_report_first_and_asks_what_was_done(client, engine, world):
    report_as_nour(client, engine, world, kind="not_ok", urgent="1", note="I am afraid")
    client.cookies.clear()
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/?lang=en"))
    main = page.find("main") or page
    first_section = main.find("section")
    assert first_section["data-section"] == "urgent"  # above everything else
    [card] = first_section.select("[data-report]")
    text = " ".join(card.get_text().split())
    assert "I am afraid" in text and "Lena (kassel-town) & Nour (kassel-town)" in text
    form = card.find("form")
    assert form.select_one("textarea[name=handled_note][required]")
    action = form["action"]
    # Nothing written: refused, the form comes back with the message, nothing recorded.
    refused = post(client, action, back="dashboard", handled_note=" ")
    assert refused.status_code == 400
    assert "Please write what was done." in refused.text
    assert session_reports(engine)[0].handled_at is None
    done = post(client, action, back="dashboard", handled_note="Called Nour, met both.")
    assert done.status_code == 303 and done.headers["location"] == "/coordinator/?done=handled"
    page = html(client.get("/coordinator/?done=handled&lang=en"))
    assert page.select("section[data-section=urgent]") == []
    assert "marked as handled" in page.select_one("p.notice").get_text()
    [row] = session_reports(engine)
    assert row.handled_note == "Called Nour, met both." and row.handled_at == NOW
    with Session(engine) as session:
        handled = session.scalars(
            select(AuditLog).where(AuditLog.action == "problem.handled")
        ).one()
        assert handled.actor_type == "coordinator" and handled.subject_id == str(row.id)


def test_bob_sees_no_urgent_report_of_kassel_and_cannot_handle_it(client, engine, world):
    report_as_nour(client, engine, world, kind="not_ok", urgent="1", note="I am afraid")
    report = session_reports(engine)[0]
    client.cookies.clear()
    login(client, "bob@example.org")
    page = client.get("/coordinator/")
    assert "I am afraid" not in page.text
    assert html(page).select("section[data-section=urgent]") == []
    path = f"/coordinator/tandems/{world.public_id}/problems/{report.id}/handle"
    assert post(client, path, handled_note="x").status_code == 404
    assert session_reports(engine)[0].handled_at is None


def session_reports(engine) -> list[ProblemReport]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(ProblemReport).order_by(ProblemReport.id)))
