"""Coordinator authentication: argon2id passwords, rotating server-side sessions, guards."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import Row, case, delete, func, literal, or_, select, update
from sqlmodel import Session, col

from web.core import drafts
from web.core.db import INSERT_ON_CONFLICT, delete_where
from web.core.models import Coordinator, LoginThrottle, Participant, UTCDateTime, utcnow
from web.core.scope import scope_of
from web.core.settings import Settings
from web.core.sql import rowcount, table

PASSWORD_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4: above the ASVS minimum
_hasher = PASSWORD_HASHER  # the one in use (tests swap in a cheap one)
# Verified against for unknown e-mails, so that a miss costs as long as a hit. Made on the
# first miss, not on import: a hash costs every process (server, worker, CLI) 0.2 s.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not-a-real-password")
    return _DUMMY_HASH


SESSION_KEY = "coordinator_id"
_ROTATE, _NEW_ID = "tandem.rotate_session_id", "tandem.new_session_id"
_LOADED = "tandem.session_as_loaded"
_HEX_DIGITS = frozenset("0123456789abcdef")  # of a session id (secrets.token_hex)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, email: str, password: str) -> Coordinator | None:
    """The active coordinator with these credentials, or None (same cost either way)."""
    coordinator = session.scalars(
        select(Coordinator).where(func.lower(col(Coordinator.email)) == email.strip().lower())
    ).first()
    try:
        _hasher.verify(coordinator.password_hash if coordinator else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if coordinator is None or not coordinator.is_active:
        return None
    if _hasher.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = _hasher.hash(password)
    coordinator.last_login_at = utcnow()
    session.add(coordinator)
    return coordinator


# --- growing delay after failed logins (per account and source) -------------------------------
#
# A source is the address a login comes from, or the device for a browser that logged in to
# the account before (a signed cookie). Each source of each account gets its own growing
# delay, so that whoever knows a coordinator's e-mail slows down only their own address: the
# coordinator's own browser, or another address, still gets in. Over all unknown sources an
# account takes at most ACCOUNT_FAILURES_PER_WINDOW failures an hour (ASVS V6.1.1), and its
# owner is told by e-mail, once an hour at most, that someone is trying.

FREE_FAILURES = 5
MAX_LOGIN_DELAY = timedelta(minutes=15)
SOURCE_WINDOW = timedelta(days=1)  # a source's failures are forgotten a day after its first
ACCOUNT_WINDOW = timedelta(hours=1)
ACCOUNT_FAILURES_PER_WINDOW = 100
ALERT_AFTER_FAILURES = 10  # failures from unknown sources in a window before the owner hears
ACCOUNT_WIDE = "*"  # the source of the row that counts an account's failures per window
KNOWN_DEVICE_LIFETIME = timedelta(days=180)
_KNOWN_DEVICE = re.compile(r"([A-Za-z0-9_-]{22})\.([0-9a-f]{64})")
_THROTTLE = table(LoginThrottle)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def account_key(email: str) -> str:
    """The throttle's name for an account: a hash of the e-mail typed (known or not)."""
    return _digest(email.strip().lower())


@dataclass(frozen=True)
class LoginSource:
    """One account as seen from one source, as the throttle counts failed logins."""

    account: str
    source: str
    known_device: bool


def login_source(email: str, *, address: str, device: str | None) -> LoginSource:
    """``device``: the id from this account's known-device cookie (``known_device``)."""
    if device is not None:
        return LoginSource(account_key(email), _digest(f"device:{device}"), known_device=True)
    return LoginSource(account_key(email), _digest(f"address:{address}"), known_device=False)


def _device_mac(device_id: str, email: str, secret: str) -> str:
    message = f"tandem.known-device:{account_key(email)}:{device_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def known_device_cookie(email: str, *, secret: str, device_id: str | None = None) -> str:
    """The value of the cookie that marks this browser as one that logged in to the account."""
    device_id = device_id or secrets.token_urlsafe(16)
    return f"{device_id}.{_device_mac(device_id, email, secret)}"


def known_device(cookie: str | None, email: str, *, secret: str) -> str | None:
    """The device id in a known-device cookie issued for this account, else None (a cookie
    for another account, a forged or a mangled one)."""
    found = _KNOWN_DEVICE.fullmatch(cookie or "")
    if found is None:
        return None
    device_id, mac = found.groups()
    return device_id if hmac.compare_digest(mac, _device_mac(device_id, email, secret)) else None


def _row(session: Session, account: str, source: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, (account, source), populate_existing=True)


def login_blocked(session: Session, source: LoginSource, *, now: datetime) -> bool:
    """This source must wait, or (from an unknown source) the account has had its hour's
    share of failures."""
    row = _row(session, source.account, source.source)
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        return True
    if source.known_device:
        return False
    account = _row(session, source.account, ACCOUNT_WIDE)
    return (
        account is not None
        and account.window_start is not None
        and now - account.window_start < ACCOUNT_WINDOW
        and account.failures >= ACCOUNT_FAILURES_PER_WINDOW
    )


def _count_failure(
    session: Session, account: str, source: str, window: timedelta, now: datetime
) -> Row[*tuple[Any, ...]]:
    """Add one failure to a row's window (a new window once the old one is over), in one
    statement: concurrent failures neither get lost nor collide on the insert."""
    column = _THROTTLE.c
    at = literal(now, UTCDateTime())
    over = or_(column.window_start.is_(None), column.window_start <= now - window)
    statement = (
        INSERT_ON_CONFLICT[session.get_bind().dialect.name](_THROTTLE)
        .values(account=account, source=source, failures=1, last_failure_at=now, window_start=now)
        .on_conflict_do_update(
            index_elements=["account", "source"],
            set_={
                "failures": case((over, 1), else_=column.failures + 1),
                "window_start": case((over, at), else_=column.window_start),
                "last_failure_at": at,
            },
        )
        .returning(column.failures, column.window_start)
    )
    return session.execute(statement).one()


def record_login_failure(session: Session, source: LoginSource, *, now: datetime) -> bool:
    """Count a failed password or code. After five failures from one source each further one
    doubles that source's wait (1 s … 15 min); failures from unknown sources also count
    towards the account's hourly limit. True when the owner should now be told (once per
    window, however many requests fail at the same moment)."""
    failures, _ = _count_failure(session, source.account, source.source, SOURCE_WINDOW, now)
    if failures > FREE_FAILURES:
        delay = timedelta(seconds=2 ** min(failures - FREE_FAILURES - 1, 20))
        session.execute(
            update(LoginThrottle)
            .where(
                col(LoginThrottle.account) == source.account,
                col(LoginThrottle.source) == source.source,
            )
            .values(blocked_until=now + min(delay, MAX_LOGIN_DELAY))
        )
    if source.known_device:
        return False
    failures, window_start = _count_failure(
        session, source.account, ACCOUNT_WIDE, ACCOUNT_WINDOW, now
    )
    if failures < ALERT_AFTER_FAILURES:
        return False
    told = session.execute(  # compare-and-set: one request per window wins the right to tell
        update(LoginThrottle)
        .where(
            col(LoginThrottle.account) == source.account,
            col(LoginThrottle.source) == ACCOUNT_WIDE,
            or_(
                col(LoginThrottle.alerted_at).is_(None),
                col(LoginThrottle.alerted_at) < window_start,
            ),
        )
        .values(alerted_at=now)
    )
    return rowcount(told) == 1


def record_login_success(session: Session, source: LoginSource) -> None:
    """The owner got in from here: this source starts afresh (other sources do not)."""
    session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.account) == source.account,
            col(LoginThrottle.source) == source.source,
        )
    )


def purge_login_throttle(session: Session, *, now: datetime, dry_run: bool = False) -> int:
    """Delete the counts of sources and accounts whose last failure is over a day old (for
    `tandem purge`): their windows and delays are over, a new failure starts afresh."""
    old = _THROTTLE.c.last_failure_at < now - SOURCE_WINDOW
    return delete_where(session, _THROTTLE, old, dry_run=dry_run)


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions with three changes:

    - It never adopts a session id it did not issue (session fixation, shared/SECURITY.md
      F1) and issues a new one at login.
    - A cookie that is not an id it could have issued is never looked up: the store gets
      only 64 hex digits (a NUL in the cookie was a 500 on PostgreSQL).
    - A session without data is not stored: an anonymous visit to a page that reads the
      session writes no row and sets no cookie (issue 12: 2,046 empty rows in 10 s from
      one client). A browser that still sends a cookie gets it cleared.
    """

    def _issued_id(self, connection: ASGIConnection) -> str | None:
        """The session cookie, if it looks like an id ``generate_session_id`` makes."""
        sent = connection.cookies.get(self.config.key)
        length = 2 * self.config.session_id_bytes
        if sent and len(sent) == length and all(ch in _HEX_DIGITS for ch in sent):
            return sent
        return None

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data: dict[str, Any] = {}
        session_id = self._issued_id(connection)
        if session_id:
            store = self.config.get_store_from_app(connection.app)
            stored = await self.get(session_id, store=store)
            data = self.deserialize_data(stored) if stored is not None else {}
        if data:
            scope_of(connection)[_LOADED] = self.serialize_data(data)
        elif connection.cookies.get(self.config.key):
            scope_of(connection)[_ROTATE] = True
        return data

    def get_session_id(self, connection: ASGIConnection) -> str:
        if scope_of(connection).get(_ROTATE):
            return scope_of(connection).setdefault(_NEW_ID, self.generate_session_id())
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        sent = connection.cookies.get(self.config.key)
        loaded = scope_of(connection).get(_LOADED)
        store = self.config.get_store_from_app(connection.scope["app"])
        if not (isinstance(scope_session, dict) and scope_session):
            # Nothing to keep (an anonymous visit, a logout): delete the stored copy if
            # there is one, and clear the browser's cookie if it sent one.
            if loaded:
                assert sent is not None  # the stored copy was loaded through the cookie
                await self.delete(sent, store=store)
            if sent:
                self._clear_cookie(message)
            return
        if scope_of(connection).get(_ROTATE):
            if loaded:  # a new id at login: the old one must not stay valid
                assert sent is not None  # the stored copy was loaded through the cookie
                await self.delete(sent, store=store)
        elif loaded == self.serialize_data(scope_session):
            # Unchanged: the stored copy and the browser's cookie are still right.
            # Litestar would write the session on every response; the last-seen
            # time (SEEN_RESOLUTION) still refreshes both once a minute of use.
            return
        await super().store_in_message(scope_session, message, connection)

    def _clear_cookie(self, message: Message) -> None:
        parameters = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        cookie = Cookie(value="null", key=self.config.key, expires=0, **parameters)
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def start_authenticated_session(request: Request, coordinator: Coordinator) -> None:
    scope_of(request)[_ROTATE] = True
    request.set_session(
        {
            SESSION_KEY: coordinator.id,
            "login_at": utcnow().isoformat(),
            **drafts.carried(request.session),
        }
    )


SECOND_FACTOR_WINDOW = timedelta(minutes=5)


def start_second_factor(request: Request, coordinator: Coordinator, *, next_path: str) -> None:
    """Password accepted; the session is not logged in until the code is right."""
    scope_of(request)[_ROTATE] = True
    request.set_session(
        {
            "pending_2fa": coordinator.id,
            "pending_at": utcnow().isoformat(),
            "next": next_path,
            **drafts.carried(request.session),
        }
    )


def pending_second_factor(request: Request, *, now: datetime) -> int | None:
    session = request.scope.get("session")
    if not isinstance(session, dict) or not session.get("pending_2fa"):
        return None
    try:
        started = datetime.fromisoformat(session["pending_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return session["pending_2fa"] if now - started <= SECOND_FACTOR_WINDOW else None


class SecondFactorSetupRequired(PermissionDeniedException):
    """Production: a coordinator without a second factor may only set one up."""


async def coordinator_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard for every coordinator route: a logged-in, unexpired session or 401 (→ login page).

    A form posted after the session expired is kept as a draft for after the login
    (``web.core.drafts``): what the coordinator typed is not lost."""
    session = connection.scope.get("session")
    owner = session.get(SESSION_KEY) if isinstance(session, dict) else None
    if (
        owner
        and isinstance(session, dict)
        and not session_expired(session, now=utcnow(), settings=connection.app.state.settings)
    ):
        return
    scope: dict[str, Any] = dict(connection.scope)
    if scope.get("type") == "http" and scope.get("method") == "POST":
        form = await Request(connection.scope, connection.receive).form()
        drafts.stash(connection, form, owner=owner if isinstance(owner, int) else None)
    raise NotAuthorizedException()


# A session's last-seen time is written at most this often, not on every request.
SEEN_RESOLUTION = timedelta(minutes=1)


def session_expired(session: dict[str, Any], *, now: datetime, settings: Settings) -> bool:
    """Past the absolute lifetime since login, or idle for too long."""
    try:
        login_at = datetime.fromisoformat(session["login_at"])
        seen_at = datetime.fromisoformat(session.get("seen_at", session["login_at"]))
    except (KeyError, TypeError, ValueError):
        return True
    return (now - login_at > timedelta(seconds=settings.session_max_age)) or (
        now - seen_at > timedelta(seconds=settings.session_idle_timeout)
    )


def _touch(request: Request, now: datetime) -> None:
    seen_at = request.session.get("seen_at") or request.session.get("login_at")
    if seen_at is None or now - datetime.fromisoformat(seen_at) > SEEN_RESOLUTION:
        request.set_session({**request.session, "seen_at": now.isoformat()})


def _refuse(request: Request, db: Session) -> None:
    # Litestar does not clean up dependencies already resolved when a later one
    # raises, so end the request's transaction here: on SQLite it holds the write
    # lock that the session store needs to forget this session.
    db.rollback()
    request.clear_session()


def provide_coordinator(request: Request, db: NamedDependency[Session]) -> Coordinator:
    """The logged-in, still active coordinator. A deactivated account or an expired
    session (absolute or idle timeout) ends the session."""
    now = utcnow()
    coordinator = db.get(Coordinator, request.session.get(SESSION_KEY))
    if (
        coordinator is None
        or not coordinator.is_active
        or session_expired(request.session, now=now, settings=request.app.state.settings)
    ):
        _refuse(request, db)
        raise NotAuthorizedException()
    settings: Settings = request.app.state.settings
    if (
        settings.is_production
        and not coordinator.totp_secret
        and not request.route_handler.opt.get("second_factor_setup")
    ):
        db.rollback()  # see _refuse
        raise SecondFactorSetupRequired()
    _touch(request, now)
    return coordinator


# --- participants: no password, a link from an e-mail opens a session ------------------------

PARTICIPANT_KEY = "participant_id"


def start_participant_session(request: Request, participant_id: int) -> None:
    scope_of(request)[_ROTATE] = True
    request.set_session({PARTICIPANT_KEY: participant_id, "login_at": utcnow().isoformat()})


def participant_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    session = connection.scope.get("session")
    if not isinstance(session, dict) or not session.get(PARTICIPANT_KEY):
        raise ParticipantLoginRequired()


class ParticipantLoginRequired(NotAuthorizedException):
    """No participant session: the page explains how to get a new link."""


def provide_participant(request: Request, db: NamedDependency[Session]) -> Participant:
    now = utcnow()
    person = db.get(Participant, request.session.get(PARTICIPANT_KEY))
    if person is None or session_expired(
        request.session, now=now, settings=request.app.state.settings
    ):
        _refuse(request, db)
        raise ParticipantLoginRequired()
    _touch(request, now)
    return person
