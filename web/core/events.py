"""Anonymous events for funders' reports: what happened, where and when — never who.

They survive a person's erasure (no foreign key to a person), so the figures of
a past period stay as they were reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session

from web.core.models import Event, Participant, Place, Tandem
from web.core.sql import table

# Like audit rows, events are only written here (reports read them later): one Core
# statement each, no ORM unit of work.
_INSERT = insert(table(Event))


def row(
    kind: str,
    *,
    at: datetime,
    region_id: int | None,
    role: str | None = None,
    tandem: Tandem | None = None,
    reason: str | None = None,
    days: int | None = None,
    languages: Iterable[str] = (),
    interests: Iterable[str] = (),
    help_topics: Iterable[str] = (),
) -> dict[str, object]:
    """One event, as ``record_rows`` takes it."""
    return {
        "kind": kind,
        "at": at,
        "region_id": region_id,
        "role": role,
        "tandem_ref": tandem.public_id if tandem is not None else None,
        "reason": reason,
        "days": days,
        "languages": sorted(languages),
        "interests": sorted(interests),
        "help_topics": sorted(help_topics),
    }


def record_rows(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(_INSERT, rows)


def record(session: Session, kind: str, **fields: Any) -> None:
    """Add one event (the fields of ``row``) to the caller's transaction."""
    record_rows(session, [row(kind, **fields)])


def region_of(session: Session, person: Participant) -> int | None:
    place = session.get(Place, person.place_id)
    return place.region_id if place is not None else None


def record_person(session: Session, kind: str, person: Participant, *, at: datetime) -> None:
    """A sign-up or verification: role, languages spoken, interests and help topics only."""
    record(
        session,
        kind,
        at=at,
        region_id=region_of(session, person),
        role=person.role,
        languages=[spoken.language for spoken in person.languages],
        interests=person.interests,
        help_topics=person.help_topics,
    )


def record_one(session: Session, kind: str, **fields: Any) -> int:
    """Add one event and return its id, for a fact that may be withdrawn again while the
    record it counts exists (an attendance ticked by mistake at the door)."""
    new_id = session.scalar(_INSERT.returning(table(Event).c.id), row(kind, **fields))
    assert new_id is not None  # noqa: S101 (an insert returns its row)
    return int(new_id)


def withdraw(session: Session, event_id: int) -> None:
    session.execute(delete(table(Event)).where(table(Event).c.id == event_id))


def set_tandem_ref(session: Session, event_id: int, tandem_ref: str | None) -> None:
    session.execute(
        update(table(Event)).where(table(Event).c.id == event_id).values(tandem_ref=tandem_ref)
    )
