"""Append-only audit trail: ids and actions, never personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from web.core.models import AuditLog, Coordinator, Participant, utcnow
from web.core.sql import table

# Audit rows are only ever written, never read back as objects in the same request,
# so they go in as one Core statement (no ORM unit of work: one runs per sign-up).
_INSERT = insert(table(AuditLog))


def row(
    *,
    actor_type: str,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: object,
    at: datetime | None = None,
) -> dict[str, object]:
    """One audit row, as ``write_rows`` takes it."""
    return {
        "at": at or utcnow(),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
    }


def write_rows(session: Session, rows: list[dict[str, object]]) -> None:
    """Add audit rows to the caller's transaction (they commit with the change they record)."""
    session.execute(_INSERT, rows)


def write(session: Session, **fields: Any) -> None:
    """Add one audit row (the fields of ``row``) to the caller's transaction."""
    write_rows(session, [row(**fields)])


def record(
    session: Session,
    *,
    actor: Coordinator | None,
    action: str,
    subject_type: str,
    subject_id: object,
) -> None:
    """An action of a coordinator (or, without one, of the system)."""
    write(
        session,
        actor_type="coordinator" if actor is not None else "system",
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def record_participant(session: Session, person: Participant, *, action: str) -> None:
    """An action a participant took on their own record."""
    write(
        session,
        actor_type="participant",
        actor_id=person.id,
        action=action,
        subject_type="participant",
        subject_id=person.id,
    )
