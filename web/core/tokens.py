"""Links sent by e-mail: confirm an address (single use) or open "my profile".

The raw token travels only in the e-mail; the database keeps its SHA-256 hash,
so a leaked table yields no working link. A token is found by its hash, never
by comparing raw tokens, so response times tell an attacker nothing about a
valid token. Time is an input (``now``) everywhere.

    raw = tokens.issue(session, person, "verify", now=now, lifetime=timedelta(hours=48))
    link = f"{settings.base_url}/verify/{raw}"
    ...
    person = tokens.redeem(session, raw, "verify", now=now, single_use=True)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from web.core.models import AccessToken, Participant, Tandem
from web.core.sql import rowcount, table

if TYPE_CHECKING:
    from web.core.participants import SignUp
from web.core.vocabulary import TOKEN_PURPOSES

# token_urlsafe(32) gives 43 characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 100
# Issued on every sign-up: one Core statement, no ORM unit of work.
_INSERT = insert(table(AccessToken))


class TokenError(Exception):
    """A link that cannot be used; the subclass says why."""


class TokenInvalid(TokenError):
    """Unknown, malformed, or issued for another purpose."""


class TokenExpired(TokenError):
    """Known, but past its lifetime."""


class TokenUsed(TokenError):
    """A single-use link that was already used (or a link that was revoked)."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(
    session: Session,
    participant: Participant | SignUp,
    purpose: str,
    *,
    now: datetime,
    lifetime: timedelta,
    tandem: Tandem | None = None,
) -> str:
    """Store a new token for ``participant`` (about ``tandem``, for answer and check-in
    links) and return the raw value for the link."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if participant.id is None or (tandem is not None and tandem.id is None):
        session.flush()
    raw = secrets.token_urlsafe(32)
    session.execute(
        _INSERT,
        {
            "participant_id": participant.id,
            "tandem_id": tandem.id if tandem is not None else None,
            "purpose": purpose,
            "token_hash": hash_token(raw),
            "created_at": now,
            "expires_at": now + lifetime,
            "used_at": None,
        },
    )
    return raw  # the row commits (or rolls back) with the caller's transaction


def redeem(
    session: Session, raw: str, purpose: str, *, now: datetime, single_use: bool
) -> Participant:
    """The participant a valid token belongs to; a single-use token is consumed.

    Consuming is a compare-and-set in the caller's transaction: of two concurrent
    clicks exactly one gets the participant, the other ``TokenUsed``.
    """
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise TokenInvalid
    digest = hash_token(raw)
    token = session.scalars(
        select(AccessToken).where(col(AccessToken.token_hash) == digest)
    ).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenInvalid
    if token.purpose != purpose:
        raise TokenInvalid
    if token.used_at is not None:
        raise TokenUsed
    if token.expires_at <= now:
        raise TokenExpired
    if single_use:
        consumed = session.execute(
            update(AccessToken)
            .where(col(AccessToken.id) == token.id, col(AccessToken.used_at).is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(consumed) != 1:
            raise TokenUsed
        set_committed_value(token, "used_at", now)
    participant = session.get(Participant, token.participant_id)
    if participant is None:  # erased between lookup and here
        raise TokenInvalid
    return participant
