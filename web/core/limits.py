"""Per-address rate limits: a fixed-window counter in the database, one statement a request.

Why not Litestar's ``RateLimitMiddleware``: it reads a request history from a store and
writes it back, which through our database store is two transactions per limited request
(sign-ups topped out at about 350 a second), and it serialises them with a lock that holds
in one process only (SECURITY.md F4b). Here each limited request is one upsert that adds one
to the counter of its (scope, address, window) row and returns the new count.

* The counter lives in the application database whatever ``TANDEM_STORE_URL`` says, so
  every worker and every machine counts together (F4b, RL-3).
* Each limit has its own ``scope``: the sign-up and the login limits never eat each
  other's budget (F4a, RL-2).
* The upsert runs on its own AUTOCOMMIT connection, before the request does anything
  else: the count is committed at once, so a request that fails later (an invalid form,
  a wrong password, a 500) still counts, and the row lock is held for that one statement
  only, so concurrent requests from one address never wait for each other's transactions.
* A fixed window, not a sliding one: a burst straddling a window's end can get up to
  twice the limit through. For the sign-up and login limits that is good enough, and it
  is what makes one statement possible.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from litestar.exceptions import TooManyRequestsException
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from web.core.db import INSERT_ON_CONFLICT, delete_where
from web.core.models import RateCounter
from web.core.sql import table

if TYPE_CHECKING:
    from litestar import Request

    from web.core.settings import Settings

KEEP_AFTER_WINDOW = timedelta(days=1)  # `tandem purge` keeps a counter this long after its window
LONGEST_WINDOW = timedelta(days=1)
CLIENT_MAX = 64  # the column's length; an address from a proxy header could be longer
_TABLE = table(RateCounter)


@dataclass(frozen=True)
class Limit:
    scope: str  # unique per limit: limits with the same scope share their counters
    hits: int  # requests allowed per window and address
    seconds: int  # the window's length, at most a day (LONGEST_WINDOW)

    def __post_init__(self) -> None:
        if not 0 < self.seconds <= LONGEST_WINDOW.total_seconds() or self.hits < 0:
            raise ValueError(f"not a usable rate limit: {self!r}")


# Many people may share one address (a shelter, a language school, a library's Wi-Fi):
# the sign-up limits count what costs something, stored sign-ups, and keep a far larger
# budget for every post of the form (language switches, corrections), which only guards
# the server. The README's "Rate limits" paragraph gives the figures for a shelter.
ATTEMPTS_PER_SIGN_UP = 10


def signup_limit(settings: Settings) -> Limit:
    """Complete, valid sign-ups per address and hour (a new address or one we know)."""
    return Limit("signup", settings.signup_limit_per_hour, 3600)


def signup_attempt_limit(settings: Settings) -> Limit:
    """Every post of the sign-up form per address and hour: switches, errors, sign-ups."""
    return Limit("signup_post", ATTEMPTS_PER_SIGN_UP * settings.signup_limit_per_hour, 3600)


# "Send me a new link": per connection, as generous as a shelter needs; per e-mail
# address, few, so that nobody can fill someone's inbox with links. Both are counted
# alike for an address we know and one we do not (no enumeration).
NEW_LINK_PER_CLIENT = Limit("new_link", 60, 3600)
NEW_LINK_PER_EMAIL = Limit("new_link_email", 3, 3600)


# Built once per dialect; the values come as a params dict at execution.
_UPSERT = {
    name: insert(_TABLE)
    .on_conflict_do_update(
        index_elements=["scope", "client", "window_start"], set_={"hits": _TABLE.c.hits + 1}
    )
    .returning(_TABLE.c.hits)
    for name, insert in INSERT_ON_CONFLICT.items()
}


def window_start(limit: Limit, now: datetime) -> datetime:
    """``now`` floored to a multiple of the window's length (counted from the epoch)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % limit.seconds, UTC)


def count(engine: Engine, limit: Limit, client: str, *, now: datetime) -> None:
    """Count one request from ``client``; raise a 429 once the window's limit is passed."""
    with autocommit(engine) as connection:
        refusal = hit(connection, limit, client, now=now)
    if refusal is not None:
        raise refusal


def count_each(engine: Engine, counts: Sequence[tuple[Limit, str]], *, now: datetime) -> None:
    """``count`` for several (limit, client) pairs in order, on one connection; raises
    the first 429 (the later pairs are then not counted)."""
    with autocommit(engine) as connection:
        for limit, client in counts:
            refusal = hit(connection, limit, client, now=now)
            if refusal is not None:
                raise refusal


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection on which every count commits at once (see the module's docstring)."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def hit(
    connection: Connection, limit: Limit, client: str, *, now: datetime
) -> TooManyRequestsException | None:
    """Count one request from ``client`` on an ``autocommit`` connection; the 429 to
    answer with once the window's limit is passed, else None."""
    start = window_start(limit, now)
    params = {"scope": limit.scope, "client": client[:CLIENT_MAX], "window_start": start, "hits": 1}
    hits = connection.execute(_UPSERT[connection.dialect.name], params).scalar_one()
    if hits <= limit.hits:
        return None
    reset = max(1, math.ceil((start + timedelta(seconds=limit.seconds) - now).total_seconds()))
    return TooManyRequestsException(
        headers={
            "Retry-After": str(reset),
            # The IETF draft headers Litestar's RateLimitMiddleware sent.
            "RateLimit-Policy": f"{limit.hits}; w={limit.seconds}",
            "RateLimit-Limit": str(limit.hits),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
        }
    )


def email_key(email: str, secret: str) -> str:
    """What an e-mail address is counted under: a keyed hash (64 hex digits, the
    column's width), so that the counters hold no address and cannot be matched against
    a list of addresses without the secret key."""
    return hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest()


def minutes_to_wait(refusal: TooManyRequestsException) -> int:
    """The whole minutes until a refused request may try again (at least one)."""
    seconds = int((refusal.headers or {}).get("Retry-After", "60"))
    return max(1, math.ceil(seconds / 60))


def client_of(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def count_request(request: Request[Any, Any, Any], limit: Limit, *, now: datetime) -> None:
    """``count`` for a request: on its app's engine, for its client's address."""
    count(request.app.state.engine, limit, client_of(request), now=now)


def purge(session: Session, *, now: datetime, dry_run: bool = False) -> int:
    """Delete counters whose window ended more than a day ago; returns how many.

    A row does not say how long its window was, so this goes by the longest a window may
    be: what it deletes ended over a day ago, and nothing stays much longer than two days."""
    old = _TABLE.c.window_start < now - KEEP_AFTER_WINDOW - LONGEST_WINDOW
    return delete_where(session, _TABLE, old, dry_run=dry_run)
