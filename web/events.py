"""Anonymous events for funders' reports: what happened, where and when — never who.

They survive a person's erasure (no foreign key to a person), so the figures of
a past period stay as they were reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from web.models import Event, Participant, Place, Tandem


def record(
    session: Session,
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
) -> None:
    session.add(
        Event(
            kind=kind,
            at=at,
            region_id=region_id,
            role=role,
            tandem_ref=tandem.public_id if tandem is not None else None,
            reason=reason,
            days=days,
            languages=sorted(languages),
            interests=sorted(interests),
            help_topics=sorted(help_topics),
        )
    )


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
