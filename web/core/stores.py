"""A Litestar ``Store`` kept in the application database.

Sessions must be shared by every worker process and survive restarts, without
requiring Redis for small setups.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio.to_thread
from litestar.stores.base import NamespacedStore
from sqlalchemy import ColumnElement, Engine, delete, select, update
from sqlmodel import Session, col

from web.core.db import INSERT_ON_CONFLICT, READ_ONLY, delete_where
from web.core.models import StoreEntry, utcnow
from web.core.sql import table

_TABLE = table(StoreEntry)


def _seconds(expires_in: int | timedelta | None) -> int | None:
    if isinstance(expires_in, timedelta):
        return int(expires_in.total_seconds())
    return expires_in


class DatabaseStore(NamespacedStore):
    def __init__(self, engine: Engine, namespace: str = "default") -> None:
        super().__init__()
        self.engine = engine
        self.reader = engine.execution_options(**{READ_ONLY: True})
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self.engine, f"{self.namespace}.{namespace}")

    def _expiry(self, expires_in: int | timedelta | None) -> datetime | None:
        seconds = _seconds(expires_in)
        return None if seconds is None else utcnow() + timedelta(seconds=seconds)

    def _live(self, session: Session, key: str) -> StoreEntry | None:
        entry = session.get(StoreEntry, (self.namespace, key))
        if entry is not None and entry.expires_at is not None and entry.expires_at <= utcnow():
            session.delete(entry)
            return None
        return entry

    def _this(self, key: str) -> ColumnElement[bool]:
        return (_TABLE.c.namespace == self.namespace) & (_TABLE.c.key == key)

    # get and set run on every request that has a session, so they are
    # single Core statements (an upsert), not ORM round trips.
    def _set(self, key: str, value: bytes, expires_in: int | timedelta | None) -> None:
        expires_at = self._expiry(expires_in)
        insert = INSERT_ON_CONFLICT[self.engine.dialect.name](_TABLE).values(
            namespace=self.namespace, key=key, value=value, expires_at=expires_at
        )
        upsert = insert.on_conflict_do_update(
            index_elements=["namespace", "key"], set_={"value": value, "expires_at": expires_at}
        )
        with self.engine.begin() as connection:
            connection.execute(upsert)

    def _get(self, key: str, renew_for: int | timedelta | None) -> bytes | None:
        # Read without the write lock (SQLite: a deferred BEGIN): every request with a
        # session reads it, and under load BEGIN IMMEDIATE here queued them all.
        with self.reader.begin() as connection:
            found = connection.execute(
                select(_TABLE.c.value, _TABLE.c.expires_at).where(self._this(key))
            ).first()
        if found is None:
            return None
        value, expires_at = found
        now = utcnow()
        if expires_at is not None and expires_at <= now:
            with self.engine.begin() as connection:
                connection.execute(
                    delete(_TABLE).where(self._this(key), _TABLE.c.expires_at <= now)
                )
            return None
        if renew_for is not None and expires_at is not None:
            with self.engine.begin() as connection:
                connection.execute(
                    update(_TABLE).where(self._this(key)).values(expires_at=self._expiry(renew_for))
                )
        return bytes(value)

    def _delete(self, key: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(StoreEntry).where(
                    col(StoreEntry.namespace) == self.namespace, col(StoreEntry.key) == key
                )
            )

    def _delete_all(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(StoreEntry).where(
                    (col(StoreEntry.namespace) == self.namespace)
                    | col(StoreEntry.namespace).startswith(f"{self.namespace}.")
                )
            )

    def _expires_in(self, key: str) -> int | None:
        with Session(self.engine) as session, session.begin():
            entry = self._live(session, key)
            if entry is None or entry.expires_at is None:
                return None
            return max(0, int((entry.expires_at - utcnow()).total_seconds()))

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        await anyio.to_thread.run_sync(self._set, key, data, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await anyio.to_thread.run_sync(self._get, key, renew_for)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, key)

    async def delete_all(self) -> None:
        await anyio.to_thread.run_sync(self._delete_all)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return await anyio.to_thread.run_sync(self._expires_in, key)


def purge_expired(session: Session, *, now: datetime, dry_run: bool = False) -> int:
    """Delete expired entries of every namespace (sessions nobody came back to); returns
    how many. For `tandem purge`: a live entry is renewed on use, an expired one only
    waits here, since ``get`` deletes just the one it is asked for."""
    return delete_where(session, _TABLE, _TABLE.c.expires_at <= now, dry_run=dry_run)
