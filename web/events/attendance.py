"""Attendance at the door: the coordinator ticks who came to one date of an event and adds
walk-ins by name only.

Each attendance is also an anonymous fact for reports (``web.core.events``): ``occ_held``
once per date (when its attendance is first saved), and one ``occ_attended`` per attendee
(role "newcomer", "local" or "walk_in"; reason "first" for a person's first attended
event; the tandem's public id when both partners of an active tandem came). A tick taken
back withdraws its fact, so the figures count what the list finally says. The facts keep
no person id; walk-ins' names are deleted by the retention rules, the facts stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from web.core import audit, events
from web.core.forms import clean_text
from web.core.models import Coordinator, HeldOccurrence, Signup, Tandem, WalkIn
from web.core.sql import id_of
from web.events.signups import Occurrence, signups_of

WALK_IN_NAME_MAX = 80


class AttendanceError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DoorList:
    occurrence: Occurrence
    signups: list[Signup]  # places first, then the waiting list
    walk_ins: list[WalkIn]
    held: bool  # attendance saved at least once


def door_list(session: Session, occurrence: Occurrence) -> DoorList:
    occasion_id = id_of(occurrence.occasion)
    walk_ins = session.scalars(
        select(WalkIn)
        .where(col(WalkIn.occasion_id) == occasion_id, col(WalkIn.occurs_on) == occurrence.day)
        .order_by(col(WalkIn.created_at), col(WalkIn.id))
    ).all()
    held = session.get(HeldOccurrence, (occasion_id, occurrence.day)) is not None
    return DoorList(occurrence, signups_of(session, occasion_id, occurrence.day), list(walk_ins),
                    held)  # fmt: skip


def _at(occurrence: Occurrence) -> datetime:
    return occurrence.starts.astimezone(UTC)


def _mark_held(session: Session, occurrence: Occurrence, *, now: datetime) -> None:
    """The first save of the date's attendance records that it took place (once, also when
    two coordinators save at the same moment: the primary key decides)."""
    key = (id_of(occurrence.occasion), occurrence.day)
    if session.get(HeldOccurrence, key) is not None:
        return
    try:
        with session.begin_nested():
            session.add(HeldOccurrence(occasion_id=key[0], occurs_on=key[1], saved_at=now))
            session.flush()
    except IntegrityError:
        return
    events.record(session, "occ_held", at=_at(occurrence),
                  region_id=occurrence.occasion.region_id)  # fmt: skip


def _first_time(session: Session, signup: Signup) -> bool:
    earlier = session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            col(Signup.participant_id) == signup.participant_id,
            col(Signup.attended_at).is_not(None),
            col(Signup.id) != signup.id,
        )
    )
    return not earlier


def save(
    session: Session,
    occurrence: Occurrence,
    ticked: set[int],
    *,
    coordinator: Coordinator,
    now: datetime,
) -> None:
    """The ticks of the list (sign-up ids) as they are now."""
    _mark_held(session, occurrence, now=now)
    region_id = occurrence.occasion.region_id
    rows = signups_of(session, id_of(occurrence.occasion), occurrence.day)
    for row in rows:
        if row.id in ticked and row.attended_at is None:
            row.attended_at = now
            row.attended_event_id = events.record_one(
                session, "occ_attended", at=_at(occurrence), region_id=region_id,
                role=row.participant.role, reason="first" if _first_time(session, row) else None,
            )  # fmt: skip
        elif row.id not in ticked and row.attended_at is not None:
            if row.attended_event_id is not None:
                events.withdraw(session, row.attended_event_id)
            row.attended_at, row.attended_event_id = None, None
        session.add(row)
    session.flush()
    _tandems_met(session, [row for row in rows if row.attended_at is not None])
    audit.write(session, now=now, actor=coordinator, action="event.attendance_saved",
                subject_type="event", subject_id=occurrence.occasion.id)  # fmt: skip


def _tandems_met(session: Session, attended: list[Signup]) -> None:
    """Both partners of an active tandem came: their facts carry the tandem's public id."""
    by_person = {row.participant_id: row for row in attended}
    refs: dict[int, str] = {}
    if len(by_person) > 1:
        tandems = session.scalars(
            select(Tandem).where(
                col(Tandem.status) == "active",
                col(Tandem.local_id).in_(by_person),
                col(Tandem.newcomer_id).in_(by_person),
            )
        ).all()
        for tandem in tandems:
            assert tandem.local_id is not None and tandem.newcomer_id is not None  # noqa: S101
            refs[tandem.local_id] = refs[tandem.newcomer_id] = tandem.public_id
    for person_id, row in by_person.items():
        if row.attended_event_id is not None:
            events.set_tandem_ref(session, row.attended_event_id, refs.get(person_id))


def add_walk_in(
    session: Session, occurrence: Occurrence, name: str, *, coordinator: Coordinator,
    now: datetime,
) -> WalkIn:  # fmt: skip
    name = clean_text(name, max_length=None)
    if not name:
        raise AttendanceError("walk_in_name")
    if len(name) > WALK_IN_NAME_MAX:
        raise AttendanceError("walk_in_too_long")
    _mark_held(session, occurrence, now=now)
    walk_in = WalkIn(occasion_id=id_of(occurrence.occasion), occurs_on=occurrence.day, name=name,
                     added_by_id=coordinator.id, created_at=now)  # fmt: skip
    walk_in.event_id = events.record_one(
        session, "occ_attended", at=_at(occurrence), region_id=occurrence.occasion.region_id,
        role="walk_in",
    )  # fmt: skip
    session.add(walk_in)
    session.flush()
    audit.write(session, now=now, actor=coordinator, action="event.walk_in_added",
                subject_type="event", subject_id=occurrence.occasion.id)  # fmt: skip
    return walk_in


def remove_walk_in(session: Session, occurrence: Occurrence, walk_in_id: int) -> bool:
    walk_in = session.get(WalkIn, walk_in_id)
    if (
        walk_in is None
        or walk_in.occasion_id != occurrence.occasion.id
        or walk_in.occurs_on != occurrence.day
    ):
        return False
    if walk_in.event_id is not None:
        events.withdraw(session, walk_in.event_id)
    session.delete(walk_in)
    return True
