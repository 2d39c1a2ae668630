"""Append-only audit trail: ids and actions, never personal data.

Every audit row is written by ``write`` (or, for a batch, ``entry`` + ``write_all``), in the
caller's transaction and at the caller's ``now``::

    audit.write(session, now=now, actor=coordinator, action="participant.approved",
                subject_type="participant", subject_id=person.id)

The actor is a coordinator, a participant, ``None`` for the system, or ``By(type, id)``
for one named by id only (a participant being signed up in a batch, or one erased).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from web.core.models import AuditLog, Coordinator, Participant
from web.core.sql import table

# Audit rows are only ever written, never read back as objects in the same request,
# so they go in as one Core statement (no ORM unit of work: one runs per sign-up).
_INSERT = insert(table(AuditLog))


@dataclass(frozen=True)
class By:
    """An actor named by its type and id only (``id`` None: a participant who is gone)."""

    type: str
    id: int | None


Actor = Coordinator | Participant | By | None


def _actor(actor: Actor) -> tuple[str, int | None]:
    if isinstance(actor, Coordinator):
        return "coordinator", actor.id
    if isinstance(actor, Participant):
        return "participant", actor.id
    if isinstance(actor, By):
        return actor.type, actor.id
    return "system", None


def entry(
    *, now: datetime, actor: Actor, action: str, subject_type: str, subject_id: object
) -> dict[str, object]:
    """One audit row, as ``write_all`` takes it."""
    actor_type, actor_id = _actor(actor)
    return {
        "at": now,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
    }


def write_all(session: Session, entries: list[dict[str, object]]) -> None:
    """Add audit rows to the caller's transaction (they commit with the change they record)."""
    session.execute(_INSERT, entries)


def write(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: object,
) -> None:
    """Add one audit row: ``actor`` did ``action`` to the subject, at ``now``."""
    write_all(
        session,
        [
            entry(
                now=now,
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
            )
        ],
    )
