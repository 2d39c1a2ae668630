"""Signing up for one date of an event ("Stammtisch on 7 January"), cancelling, and the
waiting list that moves up by itself.

No over-booking, on SQLite and PostgreSQL alike, by a constraint and not by hope: a place
is a seat number from 1 to the event's capacity, unique per date (``Signup``'s
constraints). Two people who take the last place at the same moment both try to insert
seat n; the database lets one insert win and the other, in a savepoint, looks again and
finds no free seat: they go on the waiting list. Moving someone up is a compare-and-set
(``… WHERE seat IS NULL``) into a free seat number, so two cancellations at once never
move one person up twice, nor two people into one seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from web.core import audit, reach
from web.core.calendar import BERLIN, berlin
from web.core.dates import local_datetime
from web.core.models import Coordinator, Occasion, Participant, Signup
from web.core.sql import id_of, rowcount
from web.events import recurrence
from web.events.nearby import is_for
from web.places.first_meeting import where

ATTEMPTS = 5  # seats looked for again after losing a race (each loss means progress)
CLOSED_STATUSES = ("withdrawn", "declined")


class SignupError(Exception):
    """Why a sign-up or cancellation was refused; ``code`` is a key of the pages' messages."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Occurrence:
    """One date of an event."""

    occasion: Occasion
    day: date
    starts: datetime  # in Berlin

    @property
    def ends(self) -> datetime:
        return self.starts + (self.occasion.ends_at - self.occasion.starts_at)


def occurrence(occasion: Occasion, day: date | str) -> Occurrence | None:
    """The event's date ``day`` (a date or "2027-01-07"), or None if it has none that day."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            return None
    midnight = datetime.combine(day, time(0), tzinfo=BERLIN)
    found = [
        start
        for start in recurrence.occurrences(occasion, midnight, midnight + timedelta(days=1))
        if start.date() == day
    ]
    return Occurrence(occasion, day, found[0]) if found else None


def may_sign_up(person: Participant, occasion: Occasion) -> bool:
    """The event is in the person's region and for people like them (its audience), and
    they still take part."""
    return (
        person.status not in CLOSED_STATUSES
        and person.place.region_id == occasion.region_id
        and is_for(occasion, person)
    )


# --- reading -------------------------------------------------------------------------------------


def signups_of(session: Session, occasion_id: int, day: date) -> list[Signup]:
    """Everyone signed up for the date: places first (by seat), then the waiting list."""
    rows = session.scalars(
        select(Signup).where(col(Signup.occasion_id) == occasion_id, col(Signup.occurs_on) == day)
    ).all()
    holding = sorted((r for r in rows if r.seat is not None), key=lambda r: (r.created_at, r.id))
    waiting = sorted((r for r in rows if r.seat is None), key=lambda r: (r.created_at, r.id))
    return holding + waiting


def find(session: Session, occasion_id: int, day: date, person_id: int) -> Signup | None:
    return session.scalars(
        select(Signup).where(
            col(Signup.occasion_id) == occasion_id,
            col(Signup.occurs_on) == day,
            col(Signup.participant_id) == person_id,
        )
    ).first()


def places_taken(session: Session, occasion_id: int, day: date) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(
                col(Signup.occasion_id) == occasion_id,
                col(Signup.occurs_on) == day,
                col(Signup.seat).is_not(None),
            )
        )
        or 0
    )


def waiting_position(session: Session, signup: Signup) -> int | None:
    """1 for the first on the waiting list; None for someone with a place."""
    if signup.seat is not None:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            col(Signup.occasion_id) == signup.occasion_id,
            col(Signup.occurs_on) == signup.occurs_on,
            col(Signup.seat).is_(None),
            (col(Signup.created_at) < signup.created_at)
            | ((col(Signup.created_at) == signup.created_at) & (col(Signup.id) < signup.id)),
        )
    )
    return (ahead or 0) + 1


@dataclass(frozen=True)
class MySignup:
    signup: Signup
    occurrence: Occurrence
    waiting: int | None  # the place on the waiting list, None with a place


def upcoming_for(session: Session, person: Participant, *, now: datetime) -> list[MySignup]:
    """The person's sign-ups for dates still to come, soonest first."""
    today = berlin(now).date()
    rows = session.scalars(
        select(Signup).where(
            col(Signup.participant_id) == person.id, col(Signup.occurs_on) >= today
        )
    ).all()
    found = []
    for row in rows:
        when = occurrence(row.occasion, row.occurs_on)
        if when is not None and when.ends > now:
            found.append(MySignup(row, when, waiting_position(session, row)))
    return sorted(found, key=lambda mine: (mine.occurrence.starts, mine.signup.id))


# --- signing up ----------------------------------------------------------------------------------


def _free_seat(session: Session, occasion: Occasion, day: date, *, for_waiting: bool) -> int | None:
    """The lowest free seat number, or None when the date is full. A new sign-up does not
    jump the queue: while anyone waits, it waits too (``for_waiting`` moves them up)."""
    rows = session.execute(
        select(col(Signup.seat)).where(
            col(Signup.occasion_id) == occasion.id, col(Signup.occurs_on) == day
        )
    ).all()
    seats = {seat for (seat,) in rows if seat is not None}
    if not for_waiting and len(seats) < len(rows):
        return None  # people are waiting
    if occasion.capacity is None:
        return max(seats, default=0) + 1
    return next((n for n in range(1, occasion.capacity + 1) if n not in seats), None)


def sign_up(
    session: Session,
    occasion: Occasion,
    day: date | str,
    person: Participant,
    *,
    now: datetime,
    by: Coordinator | None = None,
) -> Signup:
    """A place at the date, or a place on its waiting list when it is full. Signing up
    again for the same date changes nothing (a double click)."""
    when = occurrence(occasion, day)
    if when is None:
        raise SignupError("not_a_date")
    if when.starts <= now:
        raise SignupError("past")
    if not may_sign_up(person, occasion):
        raise SignupError("not_for_you")
    for _ in range(ATTEMPTS):
        existing = find(session, id_of(occasion), when.day, id_of(person))
        if existing is not None:
            return existing
        seat = _free_seat(session, occasion, when.day, for_waiting=False)
        row = Signup(
            occasion_id=id_of(occasion),
            occurs_on=when.day,
            participant_id=id_of(person),
            seat=seat,
            capacity=occasion.capacity if seat is not None else None,
            created_at=now,
            signed_up_by_id=by.id if by is not None else None,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue  # someone took that seat (or this person clicked twice) meanwhile
        audit.write(
            session, now=now, actor=by if by is not None else person,
            action="event.signed_up" if seat is not None else "event.waiting",
            subject_type="event", subject_id=occasion.id,
        )  # fmt: skip
        return row
    raise SignupError("busy")


def cancel(
    session: Session, signup: Signup, *, now: datetime, by: Coordinator | None = None
) -> list[Signup]:
    """Give the place (or the place on the waiting list) up; returns who moved up into it."""
    occasion = signup.occasion
    when = occurrence(occasion, signup.occurs_on)
    if when is None or when.starts <= now:
        raise SignupError("past")
    had_seat = signup.seat is not None
    person = signup.participant
    session.delete(signup)
    session.flush()
    audit.write(
        session, now=now, actor=by if by is not None else person,
        action="event.cancelled_signup", subject_type="event", subject_id=occasion.id,
    )  # fmt: skip
    return move_up(session, occasion, when.day, now=now) if had_seat else []


def move_up(session: Session, occasion: Occasion, day: date, *, now: datetime) -> list[Signup]:
    """Give free seats to the first on the waiting list, in order, and tell each of them."""
    moved: list[Signup] = []
    for _ in range((occasion.capacity or 0) + ATTEMPTS):
        first = session.scalars(
            select(Signup)
            .where(
                col(Signup.occasion_id) == occasion.id,
                col(Signup.occurs_on) == day,
                col(Signup.seat).is_(None),
            )
            .order_by(col(Signup.created_at), col(Signup.id))
            .limit(1)
        ).first()
        if first is None:
            break
        seat = _free_seat(session, occasion, day, for_waiting=True)
        if seat is None:
            break
        try:
            with session.begin_nested():
                changed = rowcount(
                    session.execute(
                        update(Signup)
                        .where(col(Signup.id) == first.id, col(Signup.seat).is_(None))
                        .values(seat=seat, capacity=occasion.capacity, moved_up_at=now)
                        .execution_options(synchronize_session=False)
                    )
                )
        except IntegrityError:
            continue  # the seat went to someone else meanwhile: look again
        session.refresh(first)
        if changed:
            moved.append(first)
            tell(session, first, "event_moved_up", now=now)
    return moved


def after_change(session: Session, occasion: Occasion, *, now: datetime) -> list[Signup]:
    """After a coordinator changed the event (a larger capacity, say): the waiting lists of
    its coming dates move up into the places now free."""
    days = session.scalars(
        select(col(Signup.occurs_on))
        .where(
            col(Signup.occasion_id) == occasion.id,
            col(Signup.seat).is_(None),
            col(Signup.occurs_on) >= berlin(now).date(),
        )
        .distinct()
    ).all()
    moved: list[Signup] = []
    for day in sorted(days):
        when = occurrence(occasion, day)
        if when is not None and when.starts > now:
            moved += move_up(session, occasion, day, now=now)
    return moved


def tell(session: Session, signup: Signup, template: str, *, now: datetime) -> None:
    """E-mail the person about their sign-up in their language (or leave a task)."""
    person = signup.participant
    when = occurrence(signup.occasion, signup.occurs_on)
    starts = when.starts if when is not None else berlin(signup.occasion.starts_at)
    context = mail_context(signup.occasion, starts, person)
    reach.tell(session, person, template=template, context=context, now=now)


def mail_context(occasion: Occasion, starts: datetime, person: Participant) -> dict[str, str]:
    place = occasion.place
    return {
        "first_name": person.first_name,
        "event_title": occasion.title_in(person.locale),
        "event_when": local_datetime(starts, locale=person.locale, weekday=True),
        "event_place": place.name,
        "event_where": where(place),
    }


# --- the reminder the day before ------------------------------------------------------------------


def send_reminders(session: Session, *, now: datetime) -> int:
    """Remind everyone with a place at a date tomorrow (Berlin), once each: the reminder is
    marked sent by a compare-and-set, so a second run (or a second worker) sends none."""
    tomorrow = berlin(now).date() + timedelta(days=1)
    rows = session.scalars(
        select(Signup)
        .where(
            col(Signup.occurs_on) == tomorrow,
            col(Signup.seat).is_not(None),
            col(Signup.reminded_at).is_(None),
        )
        .order_by(col(Signup.id))
    ).all()
    sent = 0
    for row in rows:
        if occurrence(row.occasion, row.occurs_on) is None:
            continue  # the date was cancelled
        marked = session.execute(
            update(Signup)
            .where(col(Signup.id) == row.id, col(Signup.reminded_at).is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(marked):
            tell(session, row, "event_reminder", now=now)
            sent += 1
    return sent
