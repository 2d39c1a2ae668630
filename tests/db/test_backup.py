"""Backups and restores on the database the suite runs on (SQLite, or PostgreSQL in CI),
and the erasure ledger that makes a restore erase again whoever left after the backup."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from alembic import command
from litestar.testing import TestClient
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session

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
from tests.conftest import POSTGRES_URL, TEST_SECRET, reset_postgres_schema
from web.app import create_app
from web.cli import alembic_config, main
from web.core import audit, erasure_ledger, participants
from web.core.models import Consent, Participant, Tandem, Vetting, utcnow
from web.core.settings import Settings
from web.core.vocabulary import CONSENT_PURPOSES
from web.ops import backup

ERASED_AT = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
KIND = "postgresql" if POSTGRES_URL else "sqlite"
# Tables an erasure touches; every other table must come back exactly as seeded.
TOUCHED_BY_ERASURE = {
    "participant",
    "participant_language",
    "consent",
    "tandem",
    "audit_log",
    "event",
}


def world(engine: Engine) -> dict[str, Any]:
    """Alice serves Kassel, Bob serves Göttingen. In Kassel, Lena (a local) is in a
    confirmed tandem with Nour and suggested to Omar; Pari waits in Göttingen."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        lena = make_participant(
            session,
            kassel,
            role="local",
            capacity=2,
            open_tandems=1,
            first_name="Lena",
            email="lena@example.org",
            languages={"de": "native", "en": "B2"},
        )
        nour = make_participant(
            session,
            kassel,
            first_name="Nour",
            last_name="Haddad",
            email="nour@example.org",
            languages={"ar": "native", "de": "A2"},
            waiting_since=date(2026, 9, 1),
        )
        omar = make_participant(session, kassel, first_name="Omar", email="omar@example.org")
        pari = make_participant(session, goettingen, first_name="Pari", email="pari@example.org")
        for person in (lena, nour, omar, pari):
            for purpose in CONSENT_PURPOSES:
                session.add(
                    Consent(
                        participant_id=person.id,
                        purpose=purpose,
                        text_version="2026-11-26",
                        language="de",
                    )
                )
        session.add(
            Vetting(
                local_id=lena.id,
                certificate_date=date(2026, 8, 1),
                seen_on=date(2026, 8, 3),
                seen_by_id=alice.id,
            )
        )
        confirmed = Tandem(
            local_id=lena.id,
            newcomer_id=nour.id,
            region_id=kassel.id,
            status="proposed",
            score=0.8,
            reasons=["German"],
        )
        suggested = Tandem(local_id=lena.id, newcomer_id=omar.id, region_id=kassel.id, score=0.6)
        session.add_all([confirmed, suggested])
        session.flush()
        audit.write(
            session,
            now=utcnow(),
            actor=alice,
            action="tandem.confirmed",
            subject_type="tandem",
            subject_id=confirmed.id,
        )
        audit.write(
            session,
            now=utcnow(),
            actor=nour,
            action="participant.signed_up",
            subject_type="participant",
            subject_id=nour.id,
        )
        return {
            "nour": nour.public_id,
            "nour_id": nour.id,
            "confirmed": confirmed.public_id,
            "kassel": {lena.public_id, omar.public_id},
            "names": ["Nour", "Haddad", "nour@example.org"],
        }


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table in the database, in a stable order."""
    tables = {}
    with engine.connect() as connection:
        for name in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608 (our tables)
            tables[name] = sorted((dict(row._mapping) for row in rows), key=repr)
    return tables


def wipe(engine: Engine, database_url: str) -> None:
    """Drop every table, as if the disk had been lost."""
    engine.dispose()
    if POSTGRES_URL:
        reset_postgres_schema(database_url)
        return
    connection = sqlite3.connect(make_url(database_url).database)  # type: ignore[arg-type]
    connection.execute("PRAGMA foreign_keys=OFF")
    tables = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for (name,) in tables:
        connection.execute(f'DROP TABLE "{name}"')
    connection.commit()
    connection.close()


@pytest.fixture
def wipeable(database_url: str, engine: Engine) -> Iterator[str]:
    """The test may drop the schema; if it fails half-way, later tests still get one."""
    yield database_url
    engine.dispose()
    if not inspect(engine).has_table("alembic_version"):
        command.upgrade(alembic_config(database_url), "head")
    engine.dispose()


def erase_now(engine: Engine, public_id: str, ledger: Path) -> None:
    with db(engine) as session:
        person = session.scalars(select(Participant).where(Participant.public_id == public_id))
        participants.erase(session, person.one(), now=ERASED_AT, ledger=ledger)


def without_erasure_times(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """The audit row of a replayed erasure is written at restore time, not at erasure time."""
    audit_rows = [
        {**row, "at": None} if row["action"] == "participant.erased" else row
        for row in tables["audit_log"]
    ]
    return {**tables, "audit_log": sorted(audit_rows, key=repr)}


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def tandem(monkeypatch, capsys, tmp_path):  # type: ignore[no-untyped-def]
    """Run the ``tandem`` command in this process; the ledger is the test's own."""

    def run(*args: str, database_url: str, ledger: Path | None = None) -> Result:
        monkeypatch.setenv("TANDEM_DATABASE_URL", database_url)
        monkeypatch.setenv("TANDEM_ERASURE_LEDGER", str(ledger or tmp_path / "erasures.jsonl"))
        capsys.readouterr()
        returncode = main(list(args))
        out, err = capsys.readouterr()
        return Result(returncode, out, err)

    return run


# --- the whole round trip ------------------------------------------------------------------------


def test_it_restores_every_table_and_erases_again_who_left_after_the_backup(
    wipeable, engine, tmp_path
):
    database_url = wipeable
    seeded_ids = world(engine)
    seeded = snapshot(engine)
    ledger = tmp_path / "var" / "erasures.jsonl"
    file = tmp_path / "tandem.backup"

    info = backup.backup(database_url, file)
    [revision] = seeded["alembic_version"]
    assert (info.kind, info.path, info.schema_revision) == (KIND, file, revision["version_num"])
    erase_now(engine, seeded_ids["nour"], ledger)  # after the backup: the backup still holds her
    erased = snapshot(engine)
    wipe(engine, database_url)
    assert inspect(engine).get_table_names() == []

    result = backup.restore(database_url, file, ledger=ledger)
    engine.dispose()  # pooled connections may hold plans for the dropped tables

    assert (result.ledger_entries, result.replayed) == (1, 1)
    assert result.backup.created_at == info.created_at
    restored = snapshot(engine)
    assert restored.keys() == seeded.keys()
    # Row by row: the state right after the erasure, Nour gone again...
    assert without_erasure_times(restored) == without_erasure_times(erased)
    # ...which is the seeded state minus Nour, her suggestions, her links to tandems.
    for name in seeded.keys() - TOUCHED_BY_ERASURE:
        assert restored[name] == seeded[name], name
    nour, nour_id = seeded_ids["nour"], seeded_ids["nour_id"]
    freed = {  # her partner in the running tandem has a free place again
        row["local_id"] for row in seeded["tandem"] if row["public_id"] == seeded_ids["confirmed"]
    }
    assert restored["participant"] == [
        {**r, "open_tandems": max(0, r["open_tandems"] - 1)} if r["id"] in freed else r
        for r in seeded["participant"]
        if r["public_id"] != nour
    ]
    for name in ("participant_language", "consent"):
        assert restored[name] == [r for r in seeded[name] if r["participant_id"] != nour_id]
    tandems = {row["public_id"]: row for row in restored["tandem"]}
    ended = tandems.pop(seeded_ids["confirmed"])  # kept as an anonymous record
    assert (ended["status"], ended["newcomer_id"]) == ("ended", None)
    assert list(tandems.values()) == [
        row for row in seeded["tandem"] if row["public_id"] != seeded_ids["confirmed"]
    ]
    # The audit rows keep every action, but no longer name her (issue 12).
    assert restored["audit_log"][: len(seeded["audit_log"])] == [
        {**row, "actor_id": None, "subject_id": participants.ERASED_SUBJECT}
        if row["subject_type"] == "participant" and row["subject_id"] == str(nour_id)
        else row
        for row in seeded["audit_log"]
    ]
    dumped = json.dumps(restored, default=str)
    assert not any(trace in dumped for trace in seeded_ids["names"])

    # The restored database is at the newest schema and serves the app.
    command.check(alembic_config(database_url))
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        env="development",
        mail_dir=str(tmp_path / "mail"),
        erasure_ledger=str(ledger),
    )
    with TestClient(app=create_app(settings)) as client:
        assert login(client, "alice@example.org").status_code == 303
        rows = html(client.get("/coordinator/participants")).select("tr[data-participant]")
        assert {row["data-participant"] for row in rows} == seeded_ids["kassel"]
    # Sequences continue after the restored rows (pg_restore sets them).
    with db(engine) as session:
        kassel = session.scalars(select(Participant.place_id)).first()
        newcomer = Participant(
            role="newcomer",
            first_name="Rami",
            email="rami@example.org",
            place_id=kassel,
            birth_year=1999,
        )
        session.add(newcomer)
        session.flush()
        assert newcomer.id > max(row["id"] for row in seeded["participant"])


def test_the_erased_persons_tandem_is_ended_the_same_way_after_a_restore(
    wipeable, engine, tmp_path
):
    seeded_ids = world(engine)
    ledger, file = tmp_path / "erasures.jsonl", tmp_path / "tandem.backup"
    backup.backup(wipeable, file)
    erase_now(engine, seeded_ids["nour"], ledger)
    wipe(engine, wipeable)
    backup.restore(wipeable, file, ledger=ledger)
    engine.dispose()
    with db(engine) as session:
        record = session.scalars(
            select(Tandem).where(Tandem.public_id == seeded_ids["confirmed"])
        ).one()
        assert (record.status, record.newcomer_id, record.ended_at) == ("ended", None, ERASED_AT)
        assert sorted(session.scalars(select(Tandem.status))) == ["ended", "suggested"]


def test_a_restore_replays_every_erasure_in_the_ledger_even_before_the_backup(
    database_url, engine, tmp_path
):
    # An older backup may hold people erased long ago: they must not come back either.
    seeded_ids = world(engine)
    ledger, file = tmp_path / "erasures.jsonl", tmp_path / "tandem.backup"
    backup.backup(database_url, file)
    erasure_ledger.record_erasure(ledger, seeded_ids["nour"], datetime(2020, 1, 1, tzinfo=UTC))
    result = backup.restore(database_url, file, ledger=ledger)
    engine.dispose()
    assert result.replayed == 1
    with db(engine) as session:
        names = session.scalars(select(Participant.first_name).order_by(Participant.first_name))
        assert names.all() == ["Lena", "Omar", "Pari"]


def test_a_backup_during_an_open_write_transaction_succeeds_and_is_consistent(
    database_url, engine, tmp_path
):
    world(engine)
    before = snapshot(engine)
    file = tmp_path / "tandem.backup"
    with engine.connect() as writer:
        transaction = writer.begin()  # on SQLite: BEGIN IMMEDIATE, the write lock is held
        writer.execute(update(Participant).values(first_name="Changed"))
        writer.execute(text("DELETE FROM consent"))
        backup.backup(database_url, file)  # neither waits for the writer nor sees its work
        transaction.commit()
    assert {row["first_name"] for row in snapshot(engine)["participant"]} == {"Changed"}
    backup.restore(database_url, file, ledger=tmp_path / "erasures.jsonl")
    engine.dispose()
    assert snapshot(engine) == before


# --- the erasure ledger -----------------------------------------------------------------------


def test_the_ledger_holds_random_ids_and_times_never_names_or_addresses(engine, tmp_path):
    seeded_ids = world(engine)
    ledger = tmp_path / "erasures.jsonl"
    erase_now(engine, seeded_ids["nour"], ledger)
    with db(engine) as session:
        omar = session.scalars(select(Participant).where(Participant.first_name == "Omar")).one()
        participants.erase(session, omar, now=ERASED_AT, ledger=ledger)
        omar_id = omar.public_id
    content = ledger.read_text()
    entries = [json.loads(line) for line in content.splitlines()]
    assert entries == [
        {"participant": seeded_ids["nour"], "at": ERASED_AT.isoformat()},
        {"participant": omar_id, "at": ERASED_AT.isoformat()},
    ]
    for trace in [*seeded_ids["names"], "Omar", "omar@example.org", "example.org"]:
        assert trace not in content
    if os.name == "posix":
        assert ledger.stat().st_mode & 0o077 == 0  # readable by the service only


def test_an_erasure_through_the_profile_page_is_written_to_the_configured_ledger(
    client, engine, settings
):
    seeded_ids = world(engine)
    open_profile(client, engine, seeded_ids["nour_id"])
    assert post(client, "/me/erase", confirm="1").status_code == 303
    [entry] = backup.read_ledger(Path(settings.erasure_ledger))
    assert entry.public_id == seeded_ids["nour"]


def test_an_erasure_rolled_back_is_not_written_to_the_ledger(engine, tmp_path):
    seeded_ids = world(engine)
    ledger = tmp_path / "erasures.jsonl"
    with pytest.raises(RuntimeError), db(engine) as session:
        person = session.scalars(select(Participant).where(Participant.first_name == "Nour"))
        participants.erase(session, person.one(), now=ERASED_AT, ledger=ledger)
        raise RuntimeError("the request failed after the erasure")
    assert not ledger.exists()
    with db(engine) as session:  # she is still there, and a restore will not erase her
        nour = select(Participant).where(Participant.public_id == seeded_ids["nour"])
        assert session.scalars(nour).one()


def test_a_session_reused_after_a_rolled_back_erasure_writes_nothing(engine, tmp_path):
    world(engine)
    ledger = tmp_path / "erasures.jsonl"
    with Session(engine) as session:
        nour = session.scalars(select(Participant).where(Participant.first_name == "Nour")).one()
        participants.erase(session, nour, now=ERASED_AT, ledger=ledger)
        session.rollback()
        session.execute(update(Participant).values(about_me="still here"))
        session.commit()
    assert not ledger.exists()


def test_a_torn_ledger_line_still_names_the_people_in_it(tmp_path):
    ledger = tmp_path / "erasures.jsonl"
    first, second = "a" * 32, "b" * 32
    torn = f'{{"participant": "{first}", "at": "2026-11-2'  # the machine stopped here
    ledger.write_text(torn + f'{{"participant": "{second}", "at": "2026-11-21T10:00:00+00:00"}}\n')
    assert [erasure.public_id for erasure in backup.read_ledger(ledger)] == [first, second]


# --- the command line ---------------------------------------------------------------------------


def test_the_commands_back_up_and_restore(wipeable, tandem, engine, tmp_path):
    seeded_ids = world(engine)
    ledger, file = tmp_path / "erasures.jsonl", tmp_path / "nightly.backup"
    done = tandem("backup", str(file), database_url=wipeable, ledger=ledger)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up the {KIND} database to {file}")
    meta = json.loads(backup.sidecar_path(file).read_text())
    assert meta["kind"] == KIND and datetime.fromisoformat(meta["created_at"]).tzinfo is not None
    erase_now(engine, seeded_ids["nour"], ledger)
    wipe(engine, wipeable)
    done = tandem("restore", str(file), "--yes", database_url=wipeable, ledger=ledger)
    assert done.returncode == 0, done.stderr
    assert "erased again 1 of 1 people in the erasure ledger" in done.stdout
    engine.dispose()
    assert len(snapshot(engine)["participant"]) == 3


def test_restore_refuses_without_yes_and_changes_nothing(tandem, database_url, engine, tmp_path):
    world(engine)
    file = tmp_path / "tandem.backup"
    backup.backup(database_url, file)
    with db(engine) as session:
        session.execute(update(Participant).values(first_name="Changed"))
    before = snapshot(engine)
    refused = tandem("restore", str(file), database_url=database_url)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"tandem: error: restoring replaces the whole database with {file}; "
        "stop the app, then run again with --yes"
    ]
    assert snapshot(engine) == before


def test_a_missing_backup_file_is_one_clear_line(tandem, database_url, tmp_path):
    missing = tmp_path / "nowhere.backup"
    result = tandem("restore", str(missing), "--yes", database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"tandem: error: no backup file at {missing}"]


def test_a_backup_of_the_other_database_kind_is_refused(tandem, database_url, tmp_path):
    other = tmp_path / "other.backup"
    other.write_bytes(b"SQLite format 3\x00" if POSTGRES_URL else b"PGDMP\x01\x0e\x00")
    result = tandem("restore", str(other), "--yes", database_url=database_url)
    assert result.returncode == 2
    theirs, ours = ("SQLite", "PostgreSQL") if POSTGRES_URL else ("PostgreSQL", "SQLite")
    assert result.stderr.splitlines() == [
        f"tandem: error: {other} is a {theirs} backup, but TANDEM_DATABASE_URL points at {ours}"
    ]


def test_a_damaged_backup_is_one_line_and_leaves_the_database_alone(
    tandem, database_url, engine, tmp_path
):
    world(engine)
    before = snapshot(engine)
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes((b"PGDMP" if POSTGRES_URL else b"SQLite format 3\x00") + b"\x00" * 200)
    result = tandem("restore", str(damaged), "--yes", database_url=database_url)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    expected = "pg_restore failed: pg_restore: error:" if POSTGRES_URL else "SQLite restore from"
    assert line.startswith(f"tandem: error: {expected}")
    assert snapshot(engine) == before


def test_a_backup_changed_after_it_was_written_is_refused(database_url, engine, tmp_path):
    world(engine)
    file = tmp_path / "tandem.backup"
    backup.backup(database_url, file)
    with file.open("ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(backup.BackupError, match="does not match the checksum"):
        backup.restore(database_url, file, ledger=tmp_path / "erasures.jsonl")


def test_a_backup_never_overwrites_a_file(database_url, tmp_path):
    file = tmp_path / "tandem.backup"
    file.write_text("yesterday's backup")
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.backup(database_url, file)
    assert file.read_text() == "yesterday's backup"


def test_the_password_goes_through_the_environment_not_the_command_line(monkeypatch, tmp_path):
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(command=command, env=kwargs["env"])
        return subprocess.CompletedProcess(command, 1, "", "pg_dump: error: stop here\nmore\n")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    url = "postgresql+psycopg://tandem:s3cret%21@db.example:6543/tandem?sslmode=require"
    with pytest.raises(backup.BackupError, match="^pg_dump failed: pg_dump: error: stop here$"):
        backup._run_pg(["pg_dump", "--format=custom"], make_url(url))
    assert seen["env"]["PGPASSWORD"] == "s3cret!"
    assert "s3cret" not in " ".join(seen["command"])
    assert (
        seen["command"][1] == "--dbname=postgresql://tandem@db.example:6543/tandem?sslmode=require"
    )
