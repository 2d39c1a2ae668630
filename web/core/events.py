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
    age_group: str | None = None,
    place_id: int | None = None,
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
        "age_group": age_group,
        "place_id": place_id,
    }


def age_group(birth_year: int | None, *, at: datetime) -> str | None:
    """The age group (``vocabulary.AGE_GROUPS``) of someone born in ``birth_year``, at ``at``
    (by the year alone: the report needs no birthday)."""
    if birth_year is None:
        return None
    age = at.year - birth_year
    for limit, group in ((18, "under_18"), (30, "18_29"), (50, "30_49"), (65, "50_64")):
        if age < limit:
            return group
    return "65_plus"


def record_rows(session: Session, rows: list[dict[str, object]]) -> None:
    session.execute(_INSERT, rows)


def record(session: Session, kind: str, **fields: Any) -> None:
    """Add one event (the fields of ``row``) to the caller's transaction."""
    record_rows(session, [row(kind, **fields)])


def region_of(session: Session, person: Participant) -> int | None:
    place = session.get(Place, person.place_id)
    return place.region_id if place is not None else None


def record_person(session: Session, kind: str, person: Participant, *, at: datetime) -> None:
    """A sign-up or verification: role, age group, town, languages spoken, interests and
    help topics only."""
    record(
        session,
        kind,
        at=at,
        region_id=region_of(session, person),
        role=person.role,
        languages=[spoken.language for spoken in person.languages],
        interests=person.interests,
        help_topics=person.help_topics,
        age_group=age_group(person.birth_year, at=at),
        place_id=person.place_id,
    )


def days_since_signup(person: Participant | None, *, at: datetime) -> int | None:
    """Whole days from ``person``'s sign-up to ``at`` (None when the person is gone)."""
    if person is None:
        return None
    return max(0, (at - person.created_at).days)


def record_proposal(
    session: Session, kind: str, tandem: Tandem, *, at: datetime, reason: str | None = None
) -> None:
    """A proposal's step ("proposed", "accepted", "declined", "expired", "withdrawn"): the
    tandem's random id, and the days from the newcomer's sign-up to this step."""
    record(
        session,
        kind,
        at=at,
        region_id=tandem.region_id,
        tandem=tandem,
        reason=reason,
        days=days_since_signup(tandem.newcomer, at=at),
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
