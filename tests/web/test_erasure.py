"""Issue 12 §1 in detail: what an erasure removes, what it keeps, and for whom.

Lena (local) and Nour (newcomer) are a tandem in Kassel; Lena also has a tandem with Amal.
Nour erases herself. ``tests/db/test_erasure_canary.py`` checks that nothing of hers is
left anywhere; these tests check that nothing of anyone else goes with it.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from litestar.testing import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tests.builders import (
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
    open_profile,
)
from tests.builders import post_as_me as post
from web.app import create_app
from web.core import audit, mail, participants
from web.core.models import (
    AuditLog,
    CheckIn,
    Note,
    OutboxMessage,
    Participant,
    ProblemReport,
    StoreEntry,
    Tandem,
    utcnow,
)
from web.core.settings import Settings
from web.ops import retention

POLICY = email.policy.default
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        lena = make_participant(
            session, kassel, role="local", first_name="Lena", email="lena@example.org",
            capacity=2, open_tandems=2,
        )  # fmt: skip
        nour = make_participant(
            session, kassel, first_name="Nour", last_name="Haddad", email="nour@example.org",
            open_tandems=1,
        )  # fmt: skip
        amal = make_participant(
            session, kassel, first_name="Amal", email="amal@example.org", open_tandems=1
        )
        with_nour = Tandem(
            local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id, status="active",
            started_at=NOW - timedelta(days=60),
        )  # fmt: skip
        with_amal = Tandem(
            local_id=lena.id, newcomer_id=amal.id, region_id=kassel.id, status="active",
            started_at=NOW - timedelta(days=60),
        )  # fmt: skip
        session.add_all([with_nour, with_amal])
        session.flush()
        session.add_all(
            [
                CheckIn(tandem_id=with_nour.id, role="newcomer", kind="fit_check",
                        mood=2, note="Lena never has time"),
                CheckIn(tandem_id=with_nour.id, role="local", kind="fit_check",
                        mood=4, note="Nour Haddad is lovely; nour@example.org works best"),
                ProblemReport(tandem_id=with_nour.id, reporter_role="local", kind="not_ok",
                              note="Nour did not come"),
                CheckIn(tandem_id=with_amal.id, role="local", kind="fit_check",
                        mood=5, note="Amal and I cook together"),
                Note(author_id=alice.id, tandem_id=with_amal.id, body="Amal and Lena: fine"),
                Note(author_id=alice.id, participant_id=lena.id, body="Lena is reliable"),
            ]
        )  # fmt: skip
        for person in (lena, nour, amal):
            audit.write(
                session,
                now=utcnow(),
                actor=person,
                action="participant.edited",
                subject_type="participant",
                subject_id=person.id,
            )
        audit.write(
            session,
            now=utcnow(),
            actor=None,
            action="retention.warned",
            subject_type="participant",
            subject_id=amal.id,
        )
        return SimpleNamespace(
            lena=lena.id, nour=nour.id, amal=amal.id, with_nour=with_nour.id,
            with_amal=with_amal.id, nour_public=nour.public_id,
        )  # fmt: skip


def erase(engine, person_id: int, **options) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        person = session.get(Participant, person_id)
        participants.erase(session, person, now=NOW, ledger=None, **options)  # type: ignore[arg-type]


def enqueue(session, to: str, participant_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    return mail.enqueue(
        session, to_address=to, locale="en", template="test_message",
        context={"name": name, "note": "-", "link": "http://127.0.0.1:8000/x"},
        participant_id=participant_id, now=NOW,
    )  # fmt: skip


def test_the_partners_texts_stay_without_the_persons_name_and_other_tandems_are_untouched(
    engine, world
):
    erase(engine, world.nour)
    with db(engine) as session:
        notes = {(row.tandem_id, row.role): row.note for row in session.scalars(select(CheckIn))}
        assert notes == {
            (world.with_nour, "newcomer"): None,  # her own words are gone
            (world.with_nour, "local"): "[…] […] is lovely; […] works best",
            (world.with_amal, "local"): "Amal and I cook together",
        }
        assert session.scalars(select(ProblemReport.note)).all() == ["[…] did not come"]
        assert sorted(session.scalars(select(Note.body))) == [
            "Amal and Lena: fine",
            "Lena is reliable",
        ]
        lena = session.get(Participant, world.lena)
        assert (lena.first_name, lena.open_tandems) == ("Lena", 1)  # type: ignore[union-attr]
        ended = session.get(Tandem, world.with_nour)
        assert (ended.status, ended.local_id, ended.newcomer_id) == ("ended", world.lena, None)  # type: ignore[union-attr]
        assert session.get(Tandem, world.with_amal).status == "active"  # type: ignore[union-attr]


def test_the_audit_log_keeps_every_action_but_not_who_was_erased(engine, world):
    with db(engine) as session:
        before = session.scalar(select(text("count(*)")).select_from(AuditLog))
    erase(engine, world.nour)
    with db(engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()  # type: ignore[arg-type]
        assert len(rows) == before + 1
        assert {row.action for row in rows if row.actor_type == "system"} == {"retention.warned"}
        named = {
            (row.actor_id, row.subject_id) for row in rows if row.subject_type == "participant"
        }
        assert (world.nour, str(world.nour)) not in named
        assert {(world.lena, str(world.lena)), (world.amal, str(world.amal))} <= named
        erased = [row for row in rows if row.subject_id == participants.ERASED_SUBJECT]
        assert [row.action for row in erased] == ["participant.edited", "participant.erased"]
        assert {row.actor_id for row in erased} == {None}


@pytest.mark.parametrize("actor_type", ["participant", "system"])
@pytest.mark.parametrize(
    "change",
    [{"action": "participant.signed_up"}, {"subject_id": "7"}, {"actor_id": 99}, {"at": NOW}],
)
def test_the_audit_log_still_refuses_every_other_change(engine, world, actor_type, change):
    with pytest.raises(DBAPIError, match="append-only"), db(engine) as session:
        rows = update(AuditLog).where(AuditLog.actor_type == actor_type)  # type: ignore[arg-type]
        session.execute(rows.values(**change))


def test_mail_to_or_naming_the_person_goes_and_everyone_elses_stays(engine, world, tmp_path):
    with db(engine) as session:
        kept = {
            enqueue(session, "lena@example.org", world.lena, "Amal"),
            enqueue(session, "amal@example.org", world.amal, "Lena"),
        }
        enqueue(session, "nour@example.org", world.nour, "Nour")
        enqueue(session, "lena@example.org", world.lena, "Nour")  # names her, unsent
    sent_files = tmp_path / "mail"
    assert mail.deliver_pending(engine, mail.FileTransport(sent_files), now=NOW).sent == 4
    with db(engine) as session:  # one more, not sent yet, to the partner and naming her
        enqueue(session, "lena@example.org", world.lena, "Nour Haddad")
    erase(engine, world.nour, mail_dir=sent_files)
    with db(engine) as session:
        left = set(session.scalars(select(OutboxMessage.id)))
        # Sent rows keep nothing to find her by; her own go; the unsent one naming her goes.
        assert len(left) == 3 and kept <= left
    readable = [
        mail._readable_text(
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        )
        for path in sent_files.glob("*.eml")
    ]
    assert len(readable) == 2
    assert all("Nour" not in body for body in readable)
    assert {("Amal" in body, "Lena" in body) for body in readable} == {(True, False), (False, True)}


def test_a_rolled_back_erasure_deletes_no_files(engine, world, tmp_path):
    with db(engine) as session:
        enqueue(session, "nour@example.org", world.nour, "Nour")
    sent_files = tmp_path / "mail"
    mail.deliver_pending(engine, mail.FileTransport(sent_files), now=NOW)
    with pytest.raises(RuntimeError), db(engine) as session:
        person = session.get(Participant, world.nour)
        participants.erase(session, person, now=NOW, ledger=None, mail_dir=sent_files)  # type: ignore[arg-type]
        raise RuntimeError("the request failed after the erasure")
    assert len(list(sent_files.glob("*.eml"))) == 1


def session_entry(key: str, participant_id: int) -> StoreEntry:
    value = json.dumps({"participant_id": participant_id, "login_at": NOW.isoformat()})
    return StoreEntry(namespace="session", key=key, value=value.encode())


def test_the_persons_sessions_on_every_device_go(engine, world):
    with db(engine) as session:
        session.add_all(
            [
                session_entry("phone", world.nour),
                session_entry("laptop", world.nour),
                session_entry("lenas", world.lena),
                StoreEntry(namespace="session", key="coordinator", value=b'{"coordinator_id": 2}'),
                StoreEntry(namespace="session", key="broken", value=b"\xff not json"),
            ]
        )
    erase(engine, world.nour)
    with db(engine) as session:
        assert sorted(session.scalars(select(StoreEntry.key))) == [
            "broken",
            "coordinator",
            "lenas",
        ]


def test_a_sent_e_mail_keeps_no_words_and_a_failed_one_keeps_them_for_the_retry(engine, world):
    class FailsForAmal:
        mail_from = "Tandem <t@example.org>"

        def send(self, message) -> None:  # type: ignore[no-untyped-def]
            if message["To"] == "amal@example.org":
                raise OSError("connection refused")

    with db(engine) as session:
        sent = enqueue(session, "lena@example.org", world.lena, "Lena")
        failed = enqueue(session, "amal@example.org", world.amal, "Amal")
    assert mail.deliver_pending(engine, FailsForAmal(), now=NOW) == mail.DeliveryReport(1, 1)
    with db(engine) as session:
        row = session.get(OutboxMessage, sent)
        assert (row.to_address, row.subject, row.body_text, row.body_html) == ("", "", "", None)  # type: ignore[union-attr]
        assert (row.kind, row.locale, row.sent_at, row.attempts) == ("test_message", "en", NOW, 0)  # type: ignore[union-attr]
        retry = session.get(OutboxMessage, failed)
        assert retry.to_address == "amal@example.org" and "Amal" in retry.body_text  # type: ignore[union-attr]
        assert (retry.sent_at, retry.attempts) == (None, 1)  # type: ignore[union-attr]


def test_purge_deletes_outbox_rows_older_than_the_retention_period(engine, settings, world):
    with db(engine) as session:
        ids = {}
        for age in (45, 31, 29, 1):
            message_id = enqueue(session, "lena@example.org", world.lena, "Lena")
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)  # type: ignore[arg-type]
                .values(created_at=NOW - timedelta(days=age))
            )
            ids[age] = message_id
    assert settings.outbox_retention_days == 30  # the default
    with db(engine) as session:
        report = retention.purge(session, settings=settings, now=NOW, dry_run=True)
        assert report.outbox_deleted == 2
    with db(engine) as session:
        report = retention.purge(session, settings=settings, now=NOW, dry_run=False)
        assert report.outbox_deleted == 2
        assert "old e-mails deleted from the outbox: 2" in report.lines()
    with db(engine) as session:
        assert set(session.scalars(select(OutboxMessage.id))) == {ids[29], ids[1]}
    shorter = settings.model_copy(update={"outbox_retention_days": 7})
    with db(engine) as session:
        assert (
            retention.purge(session, settings=shorter, now=NOW, dry_run=False).outbox_deleted == 1
        )


def test_the_retention_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("TANDEM_OUTBOX_RETENTION_DAYS", "14")
    assert Settings().outbox_retention_days == 14


def test_an_erasure_on_one_device_ends_the_session_on_the_other(engine, settings, world):
    with TestClient(app=create_app(settings)) as phone, TestClient(app=create_app(settings)) as pc:
        open_profile(phone, engine, world.nour)
        open_profile(pc, engine, world.nour)
        with db(engine) as session:
            assert len(session.scalars(select(StoreEntry.key)).all()) == 2
        assert post(phone, "/me/erase", confirm="1").status_code == 303
        with db(engine) as session:
            assert session.scalars(select(StoreEntry.key)).all() == []
        assert pc.get("/me").status_code == 401


def test_the_audit_log_shows_an_erased_person_as_a_former_participant(engine, client, world):
    erase(engine, world.nour)
    with db(engine) as session:
        make_coordinator(session, "ada@example.org", role="admin")
    assert login(client, "ada@example.org").status_code == 303
    page = html(client.get("/coordinator/audit/", headers={"Accept-Language": "en"}))
    records = {
        row.find_all("td")[2]["data-action"]: row.find_all("td")[3].get_text(strip=True)
        for row in page.select("tr[data-audit]")
    }
    assert records["participant.erased"] == "a former participant"
    # A person still here is named (and linked), an erased one never is.
    assert records["retention.warned"] == "Amal(kassel-town)"
