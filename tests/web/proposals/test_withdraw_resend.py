"""Issue 15 §5: a coordinator withdraws a proposal (with a reason) or sends it again, and
puts partners in touch by hand when they did not both agree to pass on their details.

Lena (local) and Nour (newcomer) are proposed to each other in Kassel (Alice's region);
Bob coordinates Göttingen and sees none of it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.builders import db, html, login, make_coordinator, make_region
from tests.worlds import START, Tandem3, proposal_links, proposed_tandem
from web.core.models import (
    AuditLog,
    ContactTask,
    Coordinator,
    Event,
    OutboxMessage,
    Participant,
    Region,
    Tandem,
)
from web.proposals import proposals

DAY1 = START + timedelta(days=1)


@pytest.fixture
def world(engine, settings) -> Tandem3:  # type: ignore[no-untyped-def]
    world = proposed_tandem(engine, settings)
    with db(engine) as session:
        kassel = session.scalars(select(Region)).one()
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[make_region(session, "goettingen")])
    return world


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return client.cookies.get("tandem_csrf", "")


def public_id(engine, world: Tandem3) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.get(Tandem, world.tandem_id).public_id  # type: ignore[union-attr]


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "_csrf_token": csrf(client)}, follow_redirects=False)


def answer(client, token: str, choice: str):  # type: ignore[no-untyped-def]
    client.get(f"/answer/{token}")
    return client.post(
        f"/answer/{token}", data={"choice": choice, "_csrf_token": csrf(client)},
        follow_redirects=False,
    )  # fmt: skip


def kinds_to(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.execute(
            select(OutboxMessage.to_address, OutboxMessage.kind).order_by(OutboxMessage.id)
        ).all()
    return [(to, kind) for to, kind in rows]


# --- withdraw ----------------------------------------------------------------------------------


def test_it_withdraws_a_proposal_with_a_reason_and_tells_both_kindly(engine, client, world):
    tid = public_id(engine, world)
    with time_machine.travel(DAY1, tick=False):
        login(client, "alice@example.org")
        response = post(client, f"/coordinator/proposals/{tid}/withdraw", reason="unavailable")
        assert response.status_code == 303
        assert response.headers["location"] == "/coordinator/proposals?done=withdrawn"
        page = html(client.get(response.headers["location"]))
    assert page.select_one("p.notice") is not None
    assert page.select("li.proposal-card") == []  # no longer waiting for answers
    [row] = page.select("table.recent tr[data-tandem]")
    assert row["data-status"] == "withdrawn"
    assert "nicht mehr verfügbar" in row.get_text()  # the reason, in German (the default)
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        lena = session.get(Participant, world.local_id)
        nour = session.get(Participant, world.newcomer_id)
        assert tandem.status == "withdrawn" and tandem.withdraw_reason == "unavailable"
        assert tandem.withdrawn_at == DAY1 and tandem.withdrawn_by_id is not None
        assert lena.open_tandems == 0 and nour.open_tandems == 0  # nour waits again...
        assert nour.waiting_since is not None  # ...with her waiting time kept
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "proposal.withdrawn")
        ).one()
        assert audit.actor_type == "coordinator" and audit.subject_id == str(world.tandem_id)
        [event] = session.scalars(select(Event).where(Event.kind == "withdrawn")).all()
        assert event.reason == "unavailable" and event.tandem_ref == tandem.public_id
        closed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "proposal_closed")
        ).all()
    assert {m.to_address for m in closed} == {"lena@kassel.example", "nour@kassel.example"}
    for message in closed:  # kind, and never the reason
        assert "verfügbar" not in message.body_text and "available" not in message.body_text


def test_the_answer_links_say_the_proposal_ended_after_a_withdrawal(engine, client, world):
    lena_token, _nour = proposal_links(engine)
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        coordinator = session.scalars(
            select(Coordinator).where(Coordinator.email == "alice@example.org")
        ).one()
        assert proposals.withdraw(session, tandem, coordinator=coordinator, reason="mistake",
                                  now=DAY1)  # fmt: skip
    with time_machine.travel(DAY1, tick=False):
        page = client.get(f"/answer/{lena_token}?lang=en")
        assert page.status_code == 400
        assert "has ended" in page.text
        assert answer(client, lena_token, "accept").status_code == 400
    with db(engine) as session:
        assert session.get(Tandem, world.tandem_id).status == "withdrawn"  # type: ignore[union-attr]


def test_a_withdrawal_needs_a_reason_and_keeps_the_proposal(engine, client, world):
    tid = public_id(engine, world)
    with time_machine.travel(DAY1, tick=False):
        login(client, "alice@example.org")
        response = post(client, f"/coordinator/proposals/{tid}/withdraw", reason="")
        assert response.status_code == 400
        page = html(response)
        card = page.select_one(f"li[data-tandem='{tid}']")
        assert card.select_one("details[open] .error").get_text(strip=True)
        response = post(client, f"/coordinator/proposals/{tid}/withdraw", reason="<script>")
        assert response.status_code == 400
    with db(engine) as session:
        assert session.get(Tandem, world.tandem_id).status == "proposed"  # type: ignore[union-attr]


def test_a_closed_proposal_cannot_be_withdrawn_or_resent(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    tid = public_id(engine, world)
    with time_machine.travel(DAY1, tick=False):
        answer(client, nour_token, "decline")
        login(client, "alice@example.org")
        assert (
            post(client, f"/coordinator/proposals/{tid}/withdraw", reason="other").status_code
            == 409
        )
        assert post(client, f"/coordinator/proposals/{tid}/resend").status_code == 409
    with db(engine) as session:
        assert session.get(Tandem, world.tandem_id).status == "declined"  # type: ignore[union-attr]


@pytest.mark.parametrize("action", ["withdraw", "resend"])
def test_bob_gets_404_for_another_regions_proposal(engine, client, world, action):
    tid = public_id(engine, world)
    with time_machine.travel(DAY1, tick=False):
        login(client, "bob@example.org")
        assert (
            post(client, f"/coordinator/proposals/{tid}/{action}", reason="other").status_code
            == 404
        )
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.status == "proposed" and tandem.answer_due_at == START + timedelta(days=7)  # type: ignore[union-attr]


# --- send again ------------------------------------------------------------------------------


def test_resending_gives_new_links_and_the_old_ones_stop_working(engine, client, world):
    lena_old, nour_old = proposal_links(engine)
    tid = public_id(engine, world)
    later = START + timedelta(days=5)
    with time_machine.travel(DAY1, tick=False):
        assert answer(client, lena_old, "accept").status_code == 303  # Lena said yes already
    with time_machine.travel(later, tick=False):
        login(client, "alice@example.org")
        response = post(client, f"/coordinator/proposals/{tid}/resend")
        assert response.headers["location"] == "/coordinator/proposals?done=resent"
    sent = [pair for pair in kinds_to(engine) if pair[1] == "proposal"]
    assert sent.count(("nour@kassel.example", "proposal")) == 2  # the first and the new one
    assert sent.count(("lena@kassel.example", "proposal")) == 1  # she has answered
    with db(engine) as session:
        newest = session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == "nour@kassel.example")
            .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
        ).first()
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.answer_due_at == later + timedelta(days=7)  # type: ignore[union-attr]
        assert (
            session.scalars(select(AuditLog).where(AuditLog.action == "proposal.resent"))
            .one()
            .actor_type
            == "coordinator"
        )
    nour_new = re.search(r"/answer/([A-Za-z0-9_-]+)", newest or "").group(1)  # type: ignore[union-attr]
    assert nour_new != nour_old
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        old_page = client.get(f"/answer/{nour_old}?lang=en")
        assert old_page.status_code == 400 and "newest e-mail" in old_page.text
        assert answer(client, nour_old, "accept").status_code == 400
        assert answer(client, nour_new, "accept").status_code == 303
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.status == "active"  # type: ignore[union-attr]
        assert tandem.put_in_touch_since is None  # type: ignore[union-attr]  # both share


# --- put them in touch ---------------------------------------------------------------------------


def test_partners_without_shared_details_are_a_dashboard_task_until_done(engine, settings, client):
    world = proposed_tandem(engine, settings, newcomer_shares=False)
    with db(engine) as session:
        make_coordinator(
            session, "alice@example.org", regions=[session.scalars(select(Region)).one()]
        )
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(DAY1, tick=False):
        answer(client, lena_token, "accept")
        answer(client, nour_token, "accept")
        login(client, "alice@example.org")
        board = html(client.get("/coordinator/"))
        [task] = board.select("#in_touch li[data-tandem]")
        assert "Lena" in task.get_text() and "Nour" in task.get_text()
        tid = task["data-tandem"]
        response = post(client, f"/coordinator/tandems/{tid}/put-in-touch", back="dashboard")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/coordinator/")
        board = html(client.get("/coordinator/"))
        assert board.select("#in_touch li[data-tandem]") == []
        # Twice (a colleague at the same moment) changes nothing and fails nothing.
        assert post(client, f"/coordinator/tandems/{tid}/put-in-touch").status_code == 303
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.put_in_touch_since == DAY1 and tandem.put_in_touch_done_at == DAY1  # type: ignore[union-attr]
        assert len(session.scalars(
            select(AuditLog).where(AuditLog.action == "tandem.put_in_touch")
        ).all()) == 1  # fmt: skip
        assert session.scalars(select(ContactTask)).all() == []  # both have e-mail


# --- who declined, and why (if they told) -------------------------------------------------------


def test_the_page_shows_who_declined_and_the_reason_they_chose(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(DAY1, tick=False):
        form = html(client.get(f"/answer/{nour_token}")).select_one("form select[name=why]")
        assert form is not None and form.find("option", value="")  # not required
        client.post(
            f"/answer/{nour_token}",
            data={"choice": "decline", "why": "times", "_csrf_token": csrf(client)},
        )
        login(client, "alice@example.org")
        page = html(client.get("/coordinator/proposals?lang=en"))
    [row] = page.select("table.recent tr[data-tandem]")
    assert row["data-status"] == "declined"
    text = " ".join(row.get_text().split())
    assert "Declined by the newcomer" in text and "Our times do not fit" in text
    assert row.select_one("[data-why]")["data-why"] == "times"
    assert row.select_one("a[href^='/coordinator/participants/']")  # both people linked
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.newcomer_decline_reason == "times" and tandem.local_decline_reason is None  # type: ignore[union-attr]
        to_lena = session.scalars(
            select(OutboxMessage.body_text).where(
                OutboxMessage.kind == "proposal_closed",
                OutboxMessage.to_address == "lena@kassel.example",
            )
        ).one()
    assert "Zeiten" not in to_lena and "times" not in to_lena  # never told to the partner


def test_an_unknown_reason_is_not_stored(engine, client, world):
    _lena, nour_token = proposal_links(engine)
    with time_machine.travel(DAY1, tick=False):
        client.get(f"/answer/{nour_token}")
        response = client.post(
            f"/answer/{nour_token}",
            data={"choice": "decline", "why": "<b>x</b>", "_csrf_token": csrf(client)},
            follow_redirects=False,
        )
    assert response.status_code == 303
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.status == "declined" and tandem.newcomer_decline_reason is None  # type: ignore[union-attr]
