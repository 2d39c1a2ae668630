"""Issue 12 §1: an erased person leaves nothing personal behind (GDPR Art. 17).

One newcomer gets a unique canary in every field that they or a coordinator can type
about them (``CANARY_FIELDS``). They go through a whole tandem's life — rejected
suggestion, proposal, accepted tandem, check-in answer, problem report, coordinator
notes, e-mails sent by the file transport — and erase themselves on their profile page.
Then the whole database (``pg_dump --data-only``, or SQLite's ``iterdump`` and the raw
file after ``VACUUM``), the mail folder and the app's log must hold none of the canaries;
and the same again after restoring a backup taken *before* the erasure.

A new free-text column must join ``CANARY_FIELDS`` (and the journey must write it), or
be named in ``NOT_ABOUT_A_PARTICIPANT`` with the reason: ``test_every_text_column_is_
covered`` fails until one of the two is done.
"""

from __future__ import annotations

import email
import email.policy
import logging
import random
import re
import sqlite3
import string
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, String, Text, select
from sqlalchemy.engine import URL, make_url
from sqlmodel import col

from tests.builders import (
    db,
    html,
    login,
    make_coordinator,
    make_occasion,
    make_participant,
    make_region,
    open_profile,
)
from tests.builders import post_as_me as post
from tests.conftest import POSTGRES_URL
from web.app import create_app
from web.checkins import checkins
from web.cli import main
from web.core import mail
from web.core.calendar import berlin
from web.core.i18n import translations
from web.core.models import (
    CalendarFeed,
    Consent,
    OutboxMessage,
    Participant,
    Signup,
    Tandem,
    Vetting,
    WalkIn,
    metadata,
    utcnow,
)
from web.core.settings import Settings
from web.core.vocabulary import CONSENT_PURPOSES
from web.events import my_feed, signups
from web.me import tandem
from web.ops import retention
from web.proposals import proposals
from web.suggestions import suggestions
from web.tandems import notes, problems

# Every field a person or a coordinator can type about the person, as "table.column" (with
# what it is about where one column holds several kinds of text). The journey below puts
# the field's canary there; a field that joins here must be written by the journey too
# (the test checks that every canary is in the database before the erasure).
CANARY_FIELDS = (
    "participant.first_name",
    "participant.last_name",
    "participant.email",
    "participant.phone",
    "participant.about_me",
    # Issue 16: the guardian of a minor (copies of proposals and check-ins go to them).
    "participant.guardian_name",
    "participant.guardian_phone",
    "participant.guardian_email",
    # Issue 15 §4: a coordinator's note when declining a sign-up (kept while undo is possible
    # and afterwards, erased with the person).
    "participant.decline_note",
    "tandem.reject_note",  # a coordinator's note on a rejected suggestion
    "check_in.note",  # the person's answer to a check-in
    "problem_report.note",  # the person's "something is wrong"
    # What a coordinator wrote on handling the person's urgent report (issue 15 §5).
    "problem_report.handled_note",
    "note.body (on the person)",  # coordinators' notes
    "note.body (on their tandem)",
)
# Text columns nobody types about a participant, with the reason. Anything else is covered
# by a canary above; the outbox and the audit log are checked by what they hold.
NOT_ABOUT_A_PARTICIPANT = {
    "alembic_version.version_num": "schema revision",
    "region.slug": "set by admins",
    "region.name": "set by admins",
    "region.min_level": "vocabulary",
    "place.name": "the gazetteer",
    "participant.public_id": "random id",
    # Issue 15: first name, last name and e-mail lower-cased for the search; their canaries
    # (found case-insensitively) are looked for there too.
    "participant.search_text": "a copy of the names and the e-mail, folded",
    "participant.locale": "a language code",
    "participant.role": "vocabulary",
    "participant.status": "vocabulary",
    "participant.gender": "vocabulary",
    "participant.contact_channel": "vocabulary",
    "participant.interpreter_language": "a language code",
    "participant.guardian_relation": "vocabulary",
    "participant.whats_on_month": "a month (2027-01): when the last events e-mail went out",
    "consent.method": "vocabulary",
    "contact_task.kind": "vocabulary",
    "participant_language.language": "a language code",
    "participant_language.level": "vocabulary",
    "consent.purpose": "vocabulary",
    "consent.text_version": "a version",
    "consent.language": "a language code",
    "coordinator.email": "coordinators' own account",
    "coordinator.display_name": "coordinators' own account",
    "coordinator.password_hash": "coordinators' own account",
    "coordinator.role": "vocabulary",
    "coordinator.totp_secret": "coordinators' own account",
    "coordinator_invitation.email": "a coordinator's address",
    "login_throttle.account": "a hash of the e-mail typed at the coordinators' login",
    "login_throttle.source": "a hash of an address or of a coordinator's browser",
    "coordinator_invitation.role": "vocabulary",
    "coordinator_invitation.token_hash": "a hash",
    "login_throttle.key": "a hash of a coordinator login",
    "matching_run.status": "vocabulary",
    "matching_run.error": "an engine error, no person",
    "tandem.public_id": "random id",
    "tandem.status": "vocabulary",
    "tandem.reject_reason": "vocabulary",
    "tandem.local_answer": "vocabulary",
    "tandem.newcomer_answer": "vocabulary",
    "tandem.end_reason": "vocabulary",
    "tandem.withdraw_reason": "vocabulary",
    "tandem.local_decline_reason": "vocabulary",
    "tandem.newcomer_decline_reason": "vocabulary",
    "tandem.ended_by": "vocabulary",
    "pair_rule.kind": "vocabulary",
    "check_in.role": "vocabulary",
    "check_in.kind": "vocabulary",
    "check_in.meetings": "vocabulary",
    "problem_report.reporter_role": "vocabulary",
    "problem_report.kind": "vocabulary",
    "event.kind": "vocabulary",
    "event.role": "vocabulary",
    "event.tandem_ref": "random id",
    "event.reason": "vocabulary",
    "event.age_group": "vocabulary (an age group of anonymous report facts, no birth year)",
    "audit_log.actor_type": "vocabulary",
    "audit_log.action": "vocabulary",
    "audit_log.subject_type": "vocabulary",
    "audit_log.subject_id": "an id; anonymised by the erasure",
    "access_token.purpose": "vocabulary",
    "access_token.token_hash": "a hash",
    "outbox_message.to_address": "scanned: the outbox is in the dump",
    "outbox_message.locale": "a language code",
    "outbox_message.kind": "a template name",
    "outbox_message.subject": "scanned: the outbox is in the dump",
    "outbox_message.body_text": "scanned: the outbox is in the dump",
    "outbox_message.body_html": "scanned: the outbox is in the dump",
    "meeting_place.name": "a public place kept by coordinators",
    "meeting_place.kind": "vocabulary",
    "meeting_place.street": "a public place's address",
    "meeting_place.video_url": "a programme's shared video room",
    "first_meeting.uid": "random id",
    "region.calendar_tag": "set by coordinators",
    "region.contact_name": "the programme's contact person, set by coordinators",
    "region.contact_email": "the programme's address, set by coordinators",
    "region.contact_phone": "the programme's phone, set by coordinators",
    "participant.decline_reason": "vocabulary",
    "occasion.uid": "random id",
    "occasion.repeat": "vocabulary",
    "occasion.audience": "vocabulary",
    "outbox_message.attachment_name": "a file name we choose (tandem.ics)",
    "outbox_message.attachment_type": "a MIME type",
    "outbox_message.last_error": "addresses are masked (mail.describe_error)",
    "store_entry.namespace": "a store name",
    "store_entry.key": "a random session id",
    "rate_counter.scope": "vocabulary",
    "rate_counter.client": "a hash of an address",
    "failed_job.task": "a job's name",
    "failed_job.error": "an exception's first line; jobs take ids, no personal data",
    "job_claim.job": "a job's name",
    "job_claim.period": "an hour or a day",
    # Issue 17: a person's sign-ups (no text; deleted with them, checked below) and feed.
    "calendar_feed.nonce": "random",
    "calendar_feed.token_hash": "a hash",
    "walk_in.name": "a walk-in is no participant: deleted by the retention rules a month "
    "after the event (test_a_walk_ins_name_is_gone_after_the_retention_period)",
}

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the proposal; all of it is long due now
ANSWER_LINK = re.compile(r"/answer/([A-Za-z0-9_-]+)")
CHECKIN_LINK = re.compile(r"/check-in/([A-Za-z0-9_-]+)")


def new_canaries() -> dict[str, str]:
    """A canary per field, unique to this run: letters only, so that every form takes it
    and no encoding (quoted-printable, URL) changes it."""
    rng = random.SystemRandom()
    canaries = {
        name: "Kan" + "".join(rng.choice(string.ascii_lowercase) for _ in range(14))
        for name in CANARY_FIELDS
    }
    canaries["participant.email"] = canaries["participant.email"].lower() + "@example.org"
    canaries["participant.guardian_email"] = (
        canaries["participant.guardian_email"].lower() + "@example.org"
    )
    # Valid German mobile numbers (stored as E.164, as the forms store them): a random
    # "+49 151 …" of eight digits after the prefix.
    for name in ("participant.phone", "participant.guardian_phone"):
        canaries[name] = "+49151" + "".join(rng.choice("0123456789") for _ in range(8))
    return canaries


@dataclass
class World:
    canaries: dict[str, str]
    person_id: int
    person_public_id: str
    partner_id: int
    partner_public_id: str
    tandem_public_id: str
    event_date_page: str = ""  # the coordinator's page of the date the person signed up for
    found_before: dict[str, list[str]] = field(default_factory=dict)


def latest_link(engine: Engine, pattern: re.Pattern[str], to: str) -> str:
    with db(engine) as session:
        bodies = session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
        ).all()
    for body in bodies:
        if found := pattern.search(body):
            return found.group(1)
    raise AssertionError(f"no link {pattern.pattern} in the mails to {to}")


def send_all(engine: Engine, mail_dir: Path, now: datetime) -> int:
    transport = mail.FileTransport(mail_dir)
    sent = 0
    while report := mail.deliver_pending(engine, transport, now=now).sent:
        sent += report
    return sent


def live_through_a_tandem(engine: Engine, settings: Settings) -> World:
    """The canary newcomer: a rejected suggestion, a proposal both accept, a check-in answer,
    a problem report, notes by the coordinator, and every e-mail sent."""
    canaries = new_canaries()
    mail_dir = Path(settings.mail_dir)
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        lena = make_participant(
            session, kassel, role="local", first_name="Lena", email="lena@example.org",
            capacity=2, languages={"de": "native"},
        )  # fmt: skip
        otto = make_participant(
            session, kassel, role="local", first_name="Otto", email="otto@example.org"
        )
        person = make_participant(
            session,
            kassel,
            first_name=canaries["participant.first_name"],
            last_name=canaries["participant.last_name"],
            email=canaries["participant.email"],
            phone=canaries["participant.phone"],
            about_me=canaries["participant.about_me"],
            # A minor (issue 16): their guardian gets copies of proposals and check-ins.
            birth_year=START.year - 17,
            guardian_name=canaries["participant.guardian_name"],
            guardian_relation="parent",
            guardian_phone=canaries["participant.guardian_phone"],
            guardian_email=canaries["participant.guardian_email"],
            # A declined sign-up's note (written directly: this person was not declined).
            decline_note=canaries["participant.decline_note"],
            languages={"ar": "native", "de": "A2"},
            locale="de",
            # Issue 17: a need that tells of a body (a wheelchair?), and a choice of e-mails.
            needs_step_free=True,
            whats_on_mail=False,
        )
        # A minor's partner must have a police certificate on record.
        session.add(Vetting(local_id=lena.id, certificate_date=START.date(), seen_on=START.date()))
        for purpose in CONSENT_PURPOSES:
            session.add(
                Consent(participant_id=person.id, purpose=purpose, text_version="v1", language="de")
            )
        rejected = Tandem(local_id=otto.id, newcomer_id=person.id, region_id=kassel.id)
        suggested = Tandem(local_id=lena.id, newcomer_id=person.id, region_id=kassel.id)
        session.add_all([rejected, suggested])
        session.flush()
        suggestions.reject(
            session, rejected, alice, reason="personal",
            note=canaries["tandem.reject_note"], now=START,
        )  # fmt: skip
        suggestions.confirm(session, suggested, alice, now=START)
        proposals.propose(session, suggested, settings=settings, now=START)
        ids = (person.id, person.public_id, lena.id, lena.public_id, suggested.id)
        tandem_public_id = suggested.public_id
        # Issue 17: the person and their partner signed up for a Stammtisch next week, and
        # the person has a private calendar feed.
        stammtisch = make_occasion(session, kassel, starts_at=utcnow() + timedelta(days=7))
        day = berlin(stammtisch.starts_at).date()
        for someone in (person, lena):
            signups.sign_up(session, stammtisch, day, someone, now=utcnow())
        my_feed.token_for(session, person, settings.secret_key, now=utcnow())
        event_date_page = f"/coordinator/events/{stammtisch.id}/dates/{day.isoformat()}"
    person_id, person_public_id, lena_id, lena_public_id, tandem_id = ids
    send_all(engine, mail_dir, START)  # the proposals went out...

    for address in (canaries["participant.email"], "lena@example.org"):
        raw = latest_link_from_files(mail_dir, ANSWER_LINK, address)
        with db(engine) as session:  # ...and both said yes
            proposals.answer(session, raw, "accept", now=START + timedelta(hours=1))
    fit_check = START + timedelta(days=29)
    with db(engine) as session:
        assert session.get(Tandem, tandem_id).status == "active"  # type: ignore[union-attr]
        checkins.send_due_checkins(session, settings=settings, now=fit_check)
    send_all(engine, mail_dir, fit_check)
    raw = latest_link_from_files(mail_dir, CHECKIN_LINK, canaries["participant.email"])
    with db(engine) as session:
        answers = checkins.parse_answers(
            {"meetings": "rarely", "mood": "2", "note": canaries["check_in.note"]}
        )
        checkins.answer(session, raw, answers, now=fit_check + timedelta(hours=2))
    with db(engine) as session:
        person = session.get(Participant, person_id)
        [mine] = tandem.current_tandems(session, person)  # type: ignore[arg-type]
        report = tandem.report(
            session, mine, person, kind="not_ok",  # type: ignore[arg-type]
            note=canaries["problem_report.note"], now=fit_check + timedelta(days=1),
            urgent=True, base_url=settings.base_url,
        )  # fmt: skip
        alice = session.scalars(select(type(alice))).one()
        problems.mark_handled(
            session, report, coordinator=alice, now=fit_check + timedelta(days=1, hours=1),
            note=canaries["problem_report.handled_note"],
        )  # fmt: skip
        notes.add(
            session, author=alice, body=canaries["note.body (on the person)"],
            participant=person, now=fit_check + timedelta(days=2),
        )  # fmt: skip
        notes.add(
            session, author=alice, body=canaries["note.body (on their tandem)"],
            tandem=session.get(Tandem, tandem_id), now=fit_check + timedelta(days=2),
        )  # fmt: skip
    send_all(engine, mail_dir, fit_check + timedelta(days=3))
    return World(canaries, person_id, person_public_id, lena_id, lena_public_id, tandem_public_id,
                 event_date_page)  # fmt: skip


def latest_link_from_files(mail_dir: Path, pattern: re.Pattern[str], to: str) -> str:
    """A link from the newest sent e-mail to ``to`` that has one (as a person clicks it)."""
    for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] != to:
            continue
        body = message.get_body(preferencelist=("plain",))
        if body is not None and (found := pattern.search(body.get_content())):
            return found.group(1)
    raise AssertionError(f"no e-mail with {pattern.pattern} to {to} in {mail_dir}")


# --- where canaries could hide -------------------------------------------------------------------


def database_dump(database_url: str) -> str:
    """Every byte of data the database holds, as text."""
    if POSTGRES_URL:
        url = make_url(database_url)
        bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database)
        command = ["pg_dump", "--data-only", f"--dbname={bare.render_as_string()}"]
        dumped = subprocess.run(  # noqa: S603 (fixed tool on PATH, argument list)
            command,
            capture_output=True,
            text=True,
            check=True,
        )
        return dumped.stdout
    path = make_url(database_url).database
    connection = sqlite3.connect(path)  # type: ignore[arg-type]
    try:
        lines = "\n".join(connection.iterdump())
        # Erased rows may linger in free pages and in the WAL until they are rewritten.
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    raw = b"".join(
        Path(name).read_bytes()
        for name in (path, f"{path}-wal")  # type: ignore[str-bytes-safe]
        if Path(name).exists()  # type: ignore[arg-type]
    )
    return lines + "\n" + raw.decode("latin-1")


def mail_folder(mail_dir: Path) -> str:
    """Every file in the mail folder: its raw bytes and every decoded header and part (a
    subject in another script is base64 in the file)."""
    texts = []
    for path in sorted(mail_dir.rglob("*")) if mail_dir.exists() else []:
        if not path.is_file():
            continue
        raw = path.read_bytes()
        texts.append(raw.decode("latin-1"))
        message = email.message_from_bytes(raw, policy=email.policy.default)
        texts += [f"{name}: {value}" for name, value in message.items()]
        for part in message.walk():
            if not part.is_multipart():
                texts.append(str(part.get_content()))
    return "\n".join(texts)


def canaries_in(text: str, canaries: dict[str, str]) -> dict[str, int]:
    """How often each canary occurs in ``text`` (the fields found only)."""
    lowered = text.lower()
    counts = {name: lowered.count(canary.lower()) for name, canary in canaries.items()}
    return {name: count for name, count in counts.items() if count}


def everywhere(
    database_url: str, mail_dir: Path, canaries: dict[str, str], **texts: str
) -> dict[str, dict[str, int]]:
    """Where the canaries are still found: the database, the mail folder, and ``texts``
    (the log, pages); places without any are left out."""
    found = {
        "database": canaries_in(database_dump(database_url), canaries),
        "mail folder": canaries_in(mail_folder(mail_dir), canaries),
        **{place: canaries_in(text, canaries) for place, text in texts.items()},
    }
    return {place: fields for place, fields in found.items() if fields}


@pytest.fixture
def app_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything the app logs, at every level (Litestar, the mail sender, the backup)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def client_for(settings: Settings) -> TestClient:
    return TestClient(app=create_app(settings))


# --- the tests ---------------------------------------------------------------------------------


def test_every_text_column_is_covered_by_a_canary_or_named_as_not_personal():
    covered = {name.split(" ")[0] for name in CANARY_FIELDS}
    text_columns = {
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text)
    }
    uncovered = text_columns - covered - NOT_ABOUT_A_PARTICIPANT.keys() - {"alembic_version"}
    assert not uncovered, f"give these columns a canary in CANARY_FIELDS: {sorted(uncovered)}"


def test_an_erased_person_leaves_no_canary_behind_even_after_a_restore(
    database_url, engine, settings, app_log, tmp_path, monkeypatch
):
    world = live_through_a_tandem(engine, settings)
    tandem = world.tandem_public_id
    mail_dir, ledger = Path(settings.mail_dir), Path(settings.erasure_ledger)
    before = everywhere(database_url, mail_dir, world.canaries)
    # Every canary landed in the database (else the journey does not test its field).
    assert sorted(before["database"]) == sorted(CANARY_FIELDS)
    assert before["mail folder"], "the e-mails name the person"
    assert "participant.guardian_email" in before["mail folder"], "the guardian got copies"
    for name, value in (("DATABASE_URL", database_url), ("ERASURE_LEDGER", str(ledger))):
        monkeypatch.setenv(f"TANDEM_{name}", value)
    backup_file = tmp_path / "before-erasure.backup"
    assert main(["backup", str(backup_file)]) == 0

    with client_for(settings) as client:
        open_profile(client, engine, world.person_id)
        assert post(client, "/me/erase", confirm="1").headers["location"] == "/me/erased"
    # The partner and the coordinator still see the tandem, with a former participant.
    with client_for(settings) as partner:
        open_profile(partner, engine, world.partner_id)
        partner_pages = [partner.get(path) for path in ("/me", f"/me/tandem/{tandem}")]
    with client_for(settings) as coordinator:
        assert login(coordinator, "alice@example.org").status_code == 303
        coordinator_pages = [
            coordinator.get(path)
            for path in (
                f"/coordinator/tandems/{tandem}",
                "/coordinator/tandems?status=ended",
                f"/coordinator/participants/{world.partner_public_id}",
                "/coordinator/proposals",
                world.event_date_page,
                f"{world.event_date_page}/door",
            )
        ]
    pages = "\n".join(page.text for page in partner_pages + coordinator_pages)
    send_all(engine, mail_dir, utcnow())  # nothing about the person goes out afterwards
    after = everywhere(database_url, mail_dir, world.canaries, log=app_log.text, pages=pages)
    print(f"canaries before the erasure: {before}\ncanaries after the erasure: {after}")

    # Restoring the backup taken before the erasure erases the person again.
    engine.dispose()
    assert main(["restore", str(backup_file), "--yes"]) == 0
    engine.dispose()
    restored = everywhere(database_url, mail_dir, world.canaries, log=app_log.text)
    print(f"canaries after the restore: {restored}")
    assert (after, restored) == ({}, {})
    german = translations("de").gettext  # both read German
    for page in partner_pages + coordinator_pages:
        assert page.status_code == 200, page.url
    shown = html(partner_pages[1]).find("h2").get_text(strip=True)
    assert shown == german("Your tandem with a former participant")
    with db(engine) as session:  # the sign-ups and the feed went with the person
        assert session.scalars(select(Signup.participant_id)).all() == [world.partner_id]
        assert session.scalars(select(CalendarFeed)).first() is None
    for page in coordinator_pages[:3]:
        assert german("a former participant") in html(page).find("main").get_text(), page.url
    with db(engine) as session:
        gone = select(Participant).where(Participant.public_id == world.person_public_id)
        assert session.scalars(gone).first() is None
        # Nobody else needed step-free access or declined the events e-mail: both went.
        kept = select(Participant).where(
            col(Participant.needs_step_free) | col(Participant.whats_on_mail).is_(False)
        )
        assert session.scalars(kept).all() == []
        record = session.scalars(
            select(Tandem).where(Tandem.public_id == world.tandem_public_id)
        ).one()
        assert (record.status, record.local_id, record.newcomer_id) == (
            "ended", world.partner_id, None,
        )  # fmt: skip


def test_a_walk_ins_name_is_gone_after_the_retention_period(database_url, engine, settings):
    """A walk-in at the door is known by a name only (issue 17): no person to erase, so the
    retention rules delete the name a month after the event; the anonymous count stays."""
    canary = "Kan" + "".join(
        random.SystemRandom().choice(string.ascii_lowercase) for _ in range(14)
    )
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        stammtisch = make_occasion(session, kassel, starts_at=START)
        session.add(WalkIn(occasion_id=stammtisch.id, occurs_on=START.date(), name=canary))
    assert canaries_in(database_dump(database_url), {"walk_in.name": canary})
    with db(engine) as session:
        report = retention.purge(session, settings=settings, now=utcnow(), dry_run=False)
    assert report.walk_ins_deleted == 1
    assert canaries_in(database_dump(database_url), {"walk_in.name": canary}) == {}
