"""Append-only audit trail: ids and actions, never personal data."""

from __future__ import annotations

from sqlmodel import Session

from web.models import AuditLog, Coordinator, Participant


def record(
    session: Session,
    *,
    actor: Coordinator | None,
    action: str,
    subject_type: str,
    subject_id: object,
) -> None:
    """Add an audit row to the caller's transaction (it commits with the change it records)."""
    session.add(
        AuditLog(
            actor_type="coordinator" if actor is not None else "system",
            actor_id=actor.id if actor is not None else None,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
        )
    )


def record_participant(session: Session, person: Participant, *, action: str) -> None:
    """An action a participant took on their own record."""
    session.add(
        AuditLog(
            actor_type="participant",
            actor_id=person.id,
            action=action,
            subject_type="participant",
            subject_id=str(person.id),
        )
    )
