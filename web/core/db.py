"""Database engine and the one-transaction-per-request session.

Domain functions take a ``Session`` and never commit: the request's
transaction is committed once, after the handler (and its template) ran,
or rolled back if anything raised.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from litestar import Litestar, Request
from litestar.datastructures import State
from sqlalchemy import ColumnElement, Connection, Engine, Table, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session, create_engine

from web.core.folding import fold
from web.core.settings import SettingsError
from web.core.sql import rowcount

SQLITE_BUSY_TIMEOUT_MS = 5000
# Requests that may hold a pooled connection at once, per process. Litestar runs each
# sync dependency and handler as its own hop on the event loop's small thread pool,
# and a request keeps its connection between hops: with more such requests than
# connections, every thread can end up waiting for a connection that belongs to a
# request waiting for a thread (seen under 64 concurrent dashboard requests).
# The overflow is for the session store, the rate-limit counts and the mail sender,
# which take a connection briefly outside any request slot.
REQUEST_SLOTS = 10
POOL = {"pool_size": REQUEST_SLOTS, "max_overflow": 10}
READ_ONLY = "tandem_read_only"  # execution option: a transaction that will not write
# insert() by dialect name, for statements with ON CONFLICT (both databases know it).
INSERT_ON_CONFLICT: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def create_db_engine(url: str, *, foreign_keys: bool = True) -> Engine:
    """Build the engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SettingsError(f"TANDEM_DATABASE_URL is not a database URL: {url!r}") from exc
    try:
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True, **POOL)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {} if parsed.database in (None, "", ":memory:") else POOL
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **pool)
    except (NoSuchModuleError, ImportError) as exc:
        message = f"TANDEM_DATABASE_URL names an unknown database driver: {url!r}"
        raise SettingsError(message) from exc

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that we can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Deleted rows are overwritten with zeros, not left in free pages (erasure, TX-4).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        # The coordinator's search folds case and accents in SQL (web.core.folding).
        dbapi_connection.create_function("tandem_fold", 1, fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with
        # "database is locked" when another writer got in between (the busy
        # timeout does not apply to lock upgrades). Taking the write lock at
        # BEGIN makes concurrent writers wait their turn instead. Read-only
        # requests begin deferred, so that pages never queue behind the lock.
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement its own transaction (web.core.limits): no BEGIN to leave
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None  # a connection that begins is open
        if dbapi_connection.isolation_level is not None:
            # SQLAlchemy hands a connection back to the pool after AUTOCOMMIT with
            # pysqlite's own transaction handling ("") on again: take it away again.
            dbapi_connection.isolation_level = None
        if options.get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error (CLI, jobs)."""
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


async def provide_session(state: State, request: Request) -> AsyncGenerator[Session, None]:
    """Request dependency: one transaction per request, committed after the handler.

    GET requests read (on SQLite without taking the write lock) unless their route
    says ``opt={"writes": True}`` (e.g. a page whose views are audited)."""
    read_only = request.method in SAFE_METHODS and not request.route_handler.opt.get("writes")
    bind = state.engine.execution_options(**{READ_ONLY: True}) if read_only else state.engine
    async with request_slots(state):
        session = Session(bind, expire_on_commit=False)
        try:
            yield session
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await anyio.to_thread.run_sync(session.commit)
        except BaseException:
            if session.in_transaction():
                await anyio.to_thread.run_sync(session.rollback)
            raise
        finally:
            # A session that never reached the database has nothing to give back: no
            # worker thread for it (the sign-up form, say, when its town list is cached).
            if session.in_transaction():
                await anyio.to_thread.run_sync(session.close)
            else:
                session.close()


def delete_where(
    session: Session, table: Table, condition: ColumnElement[bool], *, dry_run: bool
) -> int:
    """Delete the rows of ``table`` that meet ``condition`` (for `tandem purge`), or with
    ``dry_run`` only count them; returns how many."""
    if dry_run:
        return session.scalar(select(func.count()).select_from(table).where(condition)) or 0
    return rowcount(session.execute(delete(table).where(condition))) or 0


def request_slots(state: State) -> anyio.Semaphore:
    """The app's limit on requests holding a session, made at start-up in the app's loop
    (or here, for an app assembled without that hook, e.g. in a test)."""
    slots = state.get("db_request_slots")
    if slots is None:
        slots = state["db_request_slots"] = anyio.Semaphore(REQUEST_SLOTS)
    return slots


def make_request_slots(app: Litestar) -> None:
    """``on_startup`` hook: a new limit for each event loop that serves the app."""
    app.state["db_request_slots"] = anyio.Semaphore(REQUEST_SLOTS)
