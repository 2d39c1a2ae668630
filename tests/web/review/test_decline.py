"""Declining a sign-up (issue 15 §4): with a reason, undone for a while, and the person told
kindly in their language once the undo window has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlmodel import Session

from tests.builders import csrf_token, db, html, login, make_participant
from tests.worlds import two_regions
from web.core import mail
from web.core.models import AuditLog, ContactTask, OutboxMessage, Participant
from web.review import review

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # 12:00 in Kassel


@pytest.fixture
def world(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Alice (Kassel, region contact set) with Omar (German), Amal (Arabic) and Samir (no
    e-mail) waiting for review."""
    with db(engine) as session:
        world = two_regions(session)
        world.alice.display_name = "Alice Wagner"
        kassel = world.kassel
        kassel.name = "Kassel"
        kassel.contact_email = "tandem@kassel.example"
        kassel.contact_phone = "+49561987654"
        session.add_all([world.alice, kassel])
        session.flush()  # before make_participant refreshes the region

        def pending(**overrides):  # type: ignore[no-untyped-def]
            return make_participant(session, kassel, status="pending", **overrides).public_id

        return {
            "omar": pending(first_name="Omar", email="omar@example.org", locale="de"),
            "amal": pending(first_name="Amal", email="amal@example.org", locale="ar"),
            "samir": pending(first_name="Samir", email=None, phone="+4915112345678"),
        }


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/review")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def person(engine, public_id: str) -> Participant:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(select(Participant).where(Participant.public_id == public_id)).one()


def outbox(engine, kind: str = "signup_declined") -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        query = select(AuditLog.action).where(AuditLog.subject_type == "participant")
        return list(session.scalars(query.order_by(AuditLog.id)))


class Collect:
    mail_from = "Tandem <tandem@example.org>"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(message["To"])


def decline(client, who: str, **data: str):  # type: ignore[no-untyped-def]
    return post(client, f"/coordinator/review/{who}/decline", **data)


def test_it_declines_with_a_reason_and_a_note(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        response = decline(client, world["omar"], reason="duplicate", note="Zweites Konto")
        assert response.status_code == 303
        omar = person(engine, world["omar"])
        assert (omar.status, omar.decline_reason, omar.decline_note) == (
            "declined", "duplicate", "Zweites Konto",
        )  # fmt: skip
        assert omar.declined_at == NOW and omar.declined_by_id is not None
        assert actions(engine) == ["participant.declined"]
        # The mail waits until the undo window has passed.
        [message] = outbox(engine)
        assert message.next_attempt_at == NOW + review.MAIL_DELAY
        assert message.sent_at is None
        page = html(client.get(response.headers["location"]))
        flash = page.select_one('[data-flash="declined"]')
        assert "12:10" in flash.get_text()  # until when, in Kassel's time
        assert flash.find("form", action=f"/coordinator/review/{world['omar']}/undo")
        listed = page.select_one(f'[data-declined="{world["omar"]}"]').get_text(" ", strip=True)
        assert "Doppelt angemeldet" in listed and "12:10" in listed


def test_a_decline_needs_a_reason_and_keeps_what_was_typed(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        response = decline(client, world["omar"], reason="", note="Rief an, will nicht")
        assert response.status_code == 400
        page = html(response)
        card = page.select_one(f'article[data-participant="{world["omar"]}"]')
        assert card.select_one("details.decline").has_attr("open")
        assert card.find("textarea", attrs={"name": "note"}).get_text() == "Rief an, will nicht"
        assert "Bitte wählen Sie" in card.select_one("p.error").get_text()
        assert decline(client, world["omar"], reason="<script>").status_code == 400
        assert person(engine, world["omar"]).status == "pending"
        assert outbox(engine) == [] and actions(engine) == []


def test_undo_within_the_window_brings_them_back_and_sends_nothing(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        decline(client, world["omar"], reason="other", note="Vertippt")
    with time_machine.travel(NOW + timedelta(minutes=9, seconds=59), tick=False):
        response = post(client, f"/coordinator/review/{world['omar']}/undo")
        assert response.status_code == 303
        assert "done=undone" in response.headers["location"]
        omar = person(engine, world["omar"])
        assert (omar.status, omar.declined_at, omar.decline_reason, omar.decline_note) == (
            "pending", None, None, None,
        )  # fmt: skip
        page = html(client.get(response.headers["location"]))
        assert page.select_one('[data-flash="undone"]') is not None
        assert page.select_one(f'article[data-participant="{world["omar"]}"]') is not None
    assert outbox(engine) == []
    assert actions(engine) == ["participant.declined", "participant.decline_undone"]
    transport = Collect()
    mail.deliver_pending(engine, transport, now=NOW + timedelta(hours=1))
    assert transport.sent == []


def test_no_undo_after_the_window_and_the_mail_goes_out(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        decline(client, world["omar"], reason="outside_region")
    transport = Collect()
    mail.deliver_pending(engine, transport, now=NOW + timedelta(minutes=9))
    assert transport.sent == []  # not during the window
    with time_machine.travel(NOW + review.UNDO_WINDOW, tick=False):
        page = html(client.get("/coordinator/review"))
        assert page.select_one(f'[data-declined="{world["omar"]}"]') is None
        response = post(client, f"/coordinator/review/{world['omar']}/undo")
        assert "done=too_late" in response.headers["location"]
    assert person(engine, world["omar"]).status == "declined"
    assert actions(engine) == ["participant.declined"]
    mail.deliver_pending(engine, transport, now=NOW + review.MAIL_DELAY)
    assert transport.sent == ["omar@example.org"]


def test_a_person_without_e_mail_becomes_a_task_that_undo_removes(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        decline(client, world["samir"], reason="unreachable")
        samir = person(engine, world["samir"])
        with Session(engine) as session:
            tasks = session.scalars(
                select(ContactTask.kind).where(ContactTask.participant_id == samir.id)
            ).all()
        assert tasks == ["signup_declined"]
        assert outbox(engine) == []
        post(client, f"/coordinator/review/{world['samir']}/undo")
        with Session(engine) as session:
            assert session.scalars(select(ContactTask)).all() == []


def test_the_mail_is_kind_signed_and_in_german(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        decline(client, world["omar"], reason="duplicate", note="intern")
    [message] = outbox(engine)
    assert message.subject == "Ihre Anmeldung bei Tandem"
    body = message.body_text
    assert body.startswith("Hallo Omar,")
    assert "Leider können wir Ihnen in unserem Programm zurzeit kein Tandem anbieten." in body
    assert "intern" not in body and "Doppelt" not in body  # the reason stays with us
    assert "Alice Wagner" in body and "Tandem Kassel" in body
    assert "tandem@kassel.example" in body and "0561 987654" in body


def test_the_mail_is_in_arabic_for_an_arabic_speaker(client, engine, world):
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        decline(client, world["amal"], reason="outside_region")
    [message] = outbox(engine)
    assert message.locale == "ar"
    assert message.subject == "تسجيلك في تاندم"
    assert message.body_text.startswith("مرحبًا Amal،")
    assert "خارج المنطقة" in message.body_text
    assert 'dir="rtl"' in (message.body_html or "")
    assert "Alice Wagner" in message.body_text
