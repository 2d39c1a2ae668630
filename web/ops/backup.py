"""Backups and restores of the whole database, and the erasure ledger that outlives them.

A backup is one file: a SQLite database written with SQLite's online backup API,
or a ``pg_dump --format=custom`` archive. Next to it, ``<file>.json`` says when it
was taken, from which kind of database and at which schema revision, with a
SHA-256 of the file. A restore works without that sidecar too.

Erasures must survive a restore: every erasure appends one line to a JSON-lines
ledger kept outside the database, and a restore erases every person in it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import col

from web.core import participants
from web.core.db import SQLITE_BUSY_TIMEOUT_MS, create_db_engine, transaction
from web.core.models import Participant, utcnow

logger = logging.getLogger(__name__)

Kind = Literal["sqlite", "postgresql"]
SIDECAR_FORMAT = "tandem-backup/1"
_MAGIC: dict[bytes, Kind] = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}
_PUBLIC_ID = re.compile(r'"participant"\s*:\s*"([0-9a-f]{32})"')


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is one line for the user."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: Kind
    created_at: datetime | None  # None: the sidecar is missing
    schema_revision: str | None
    size: int


@dataclass(frozen=True)
class Erasure:
    public_id: str
    at: datetime


@dataclass(frozen=True)
class RestoreResult:
    backup: BackupInfo
    ledger_entries: int
    replayed: int  # people in the restored database who were erased again


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


# --- backup ----------------------------------------------------------------------------------


def backup(database_url: str, target: Path, *, now: datetime | None = None) -> BackupInfo:
    """Write a consistent copy of the database to ``target`` (which must not exist yet)."""
    url = _parse(database_url)
    kind = _kind_of(url)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    # Taken before copying starts, so that an erasure during the copy counts as later.
    created_at = now or utcnow()
    # Written under a temporary name and renamed at the end: an interrupted backup
    # never leaves a half-written file under the name a restore would use.
    partial = target.with_name(f".{target.name}.partial")
    try:
        if kind == "sqlite":
            revision = _sqlite_backup(_sqlite_path(url), partial)
        else:
            revision = _schema_revision(database_url)
            _run_pg(["pg_dump", "--format=custom", f"--file={partial}"], url)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(target, kind, created_at, revision, target.stat().st_size)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "kind": kind,
        "created_at": created_at.isoformat(),
        "schema_revision": revision,
        "file": target.name,
        "size": info.size,
        "sha256": _sha256(target),
    }
    sidecar_path(target).write_text(json.dumps(sidecar, indent=2) + "\n")
    return info


def _sqlite_backup(source: Path, target: Path) -> str | None:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    # The backup API copies a consistent snapshot while the app keeps running; a file
    # copy of a live database in WAL mode can miss committed pages or tear a page.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _sqlite_revision(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {source} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


# --- restore ---------------------------------------------------------------------------------


def inspect(path: Path) -> BackupInfo:
    """What kind of backup ``path`` is and when it was taken; ``BackupError`` if unusable."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as file:
        head = file.read(16)
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump archive")
    created_at = revision = None
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        try:
            meta = json.loads(sidecar.read_text())
            created_at = datetime.fromisoformat(meta["created_at"])
            revision = meta.get("schema_revision")
            expected = meta["sha256"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{sidecar} is not a Tandem backup description") from exc
        if _sha256(path) != expected:
            raise BackupError(f"{path} does not match the checksum in {sidecar}: damaged?")
    return BackupInfo(path, kind, created_at, revision, path.stat().st_size)


def restore(database_url: str, source: Path, *, ledger: Path) -> RestoreResult:
    """Replace the whole database with the backup ``source``, then erase again everyone
    in the erasure ledger. Stop the app first: open connections would see a database
    swapped under their feet (SQLite) or hold locks the restore waits for (PostgreSQL)."""
    url = _parse(database_url)
    kind = _kind_of(url)
    info = inspect(source)
    if info.kind != kind:
        raise BackupError(
            f"{source} is a {_NAMES[info.kind]} backup, but TANDEM_DATABASE_URL "
            f"points at {_NAMES[kind]}"
        )
    erasures = read_ledger(ledger)  # before touching the database: a bad ledger stops here
    if kind == "sqlite":
        replayed = _sqlite_restore(source, _sqlite_path(url), erasures)
        return RestoreResult(info, len(erasures), replayed)
    # One transaction: a restore that fails half-way leaves the database as it was.
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run_pg([*command, str(source)], url)
    try:
        replayed = replay_erasures(database_url, erasures)
    except SQLAlchemyError as exc:
        # pg_restore has committed: say loudly that erased people are back for now.
        raise BackupError(
            "the backup was restored, but erasing again the people in the ledger failed "
            f"({_first_line(exc)}); run the restore again before starting the app"
        ) from exc
    return RestoreResult(info, len(erasures), replayed)


def _sqlite_restore(source: Path, target: Path, erasures: list[Erasure]) -> int:
    """Erasures are replayed on a staged copy before it replaces the live file, so the
    database never holds, not even for a moment, a person who asked to be erased."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as folder:
        staged = Path(folder) / "staged.db"
        _sqlite_copy(source, staged, check=True, label=source)
        replayed = replay_erasures(f"sqlite:///{staged}", erasures)
        _sqlite_copy(staged, target, check=False, label=source)
    return replayed


def _sqlite_copy(source: Path, target: Path, *, check: bool, label: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if check and src.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError(f"{label} is a damaged SQLite database")
        if check and _sqlite_revision(src) is None:
            raise BackupError(f"{label} is a SQLite database, but not one of Tandem")
        # Through the backup API as well: it takes the write lock and rewrites the
        # live file page by page, where a file copy would corrupt an open WAL.
        dst = sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore from {label} failed: {exc}") from exc
    finally:
        src.close()


def replay_erasures(database_url: str, erasures: Iterable[Erasure]) -> int:
    """Erase again, in one transaction, everyone in ``erasures`` still in the database.

    Every ledger entry is replayed, not only those after the backup: a person erased
    once must never come back, whatever backup is restored."""
    latest: dict[str, datetime] = {}
    for erasure in erasures:
        latest[erasure.public_id] = erasure.at
    if not latest:
        return 0
    engine = create_db_engine(database_url)
    replayed = 0
    try:
        with transaction(engine) as session:
            for public_id, at in latest.items():
                person = session.scalars(
                    select(Participant).where(col(Participant.public_id) == public_id)
                ).first()
                if person is not None:
                    # ledger=None: the person is in the ledger already.
                    participants.erase(session, person, now=at, ledger=None)
                    replayed += 1
    finally:
        engine.dispose()
    return replayed


# --- reading the erasure ledger (web.core.erasure_ledger writes it) -------------------------


def read_ledger(ledger: Path) -> list[Erasure]:
    """Every erasure in the ledger (none if it does not exist yet)."""
    if not ledger.exists():
        return []
    erasures = []
    for number, line in enumerate(ledger.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            erasures.append(Erasure(entry["participant"], datetime.fromisoformat(entry["at"])))
        except (ValueError, KeyError, TypeError):
            # A line torn by a crash (and the next one glued to it) still names the
            # people; an erasure is never dropped for a formatting problem.
            found = _PUBLIC_ID.findall(line)
            if not found:
                raise BackupError(f"{ledger} line {number} is not an erasure record") from None
            logger.warning("%s line %d is damaged; replaying the ids in it", ledger, number)
            erasures.extend(Erasure(public_id, utcnow()) for public_id in found)
    return erasures


# --- helpers ---------------------------------------------------------------------------------

_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _parse(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except ArgumentError as exc:
        raise BackupError(f"TANDEM_DATABASE_URL is not a database URL: {database_url!r}") from exc


def _kind_of(url: URL) -> Kind:
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return cast(Kind, backend)
    raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("backups need a SQLite database file, not an in-memory database")
    return Path(url.database)


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _schema_revision(database_url: str) -> str | None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except SQLAlchemyError as exc:
        raise BackupError(f"the database cannot be read: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def _run_pg(command: list[str], url: URL) -> None:
    """Run a PostgreSQL client tool against ``url``; the password goes through the
    environment (PGPASSWORD), never on a command line other users can read."""
    # A libpq URI without the password: the psycopg driver name is SQLAlchemy's only.
    # (URL.set(password=None) would keep the password: None means "unchanged" there.)
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    conninfo = bare.render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    try:
        result = subprocess.run(  # noqa: S603 (fixed tool, argument list, no shell)
            [command[0], f"--dbname={conninfo}", *command[1:]],
            env=env,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} is not installed; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        ) from exc
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError(f"{command[0]} failed: {reason}")


def _first_line(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
