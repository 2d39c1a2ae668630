"""A tandem's life after both partners said yes, as an explicit state machine.

    proposed ──(both accept, web.proposals.proposals)──▶ active ◀──▶ paused
                                                  │           │
                                                  └──▶ ended ◀┘

``TRANSITIONS`` is the whole table: every other move raises
``TransitionNotAllowed``. Each move is a compare-and-set on the row (two
coordinators clicking at once: one wins, the other is told), is audited, and
the start and the end are recorded as anonymous events for the reports.

The fit check four weeks after the start is not a state of its own: it marks
``fit_checked_at`` on an active (or paused) tandem.

Ending a tandem frees both partners' places. The newcomer leaves the matching
queue (their profile is paused, so nobody is proposed to them unasked); a
coordinator's *re-match* puts them straight back with their waiting time
credited — ``waiting_since`` is never reset here.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select, update
from sqlmodel import Session, col

from web.core import audit, events
from web.core.dates import PROGRAMME_TIMEZONE
from web.core.models import Coordinator, Event, Participant, Tandem
from web.core.sql import rowcount
from web.core.vocabulary import END_REASONS, OPEN_TANDEM_STATUSES

FIT_CHECK_AFTER = timedelta(days=28)
CHECKIN_EVERY = timedelta(days=60)

# (from, to) → what the move is called in the audit log.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("proposed", "active"): "tandem.started",  # both partners accepted (web.proposals.proposals)
    ("active", "paused"): "tandem.paused",
    ("paused", "active"): "tandem.resumed",
    ("active", "ended"): "tandem.ended",
    ("paused", "ended"): "tandem.ended",
}
ENDED_BY = ("coordinator", "local", "newcomer")

Actor = Coordinator | Participant | None


class LifecycleError(Exception):
    """A life-cycle step that cannot be taken; the page explains ``code``."""

    code = "not_allowed"


class TransitionNotAllowed(LifecycleError):
    """The tandem is not (or no longer) in a state this step can start from."""

    code = "not_allowed"

    def __init__(self, tandem: Tandem, to: str) -> None:
        super().__init__(f"tandem {tandem.id}: {tandem.status} → {to} is not allowed")
        self.current = tandem.status
        self.to = to


class InvalidReason(LifecycleError, ValueError):
    code = "reason"


class InvalidEndDate(LifecycleError, ValueError):
    code = "end_date"


def allowed(current: str, to: str) -> bool:
    return (current, to) in TRANSITIONS


def _ended_by(tandem: Tandem, actor: Actor) -> str | None:
    if isinstance(actor, Coordinator):
        return "coordinator"
    if isinstance(actor, Participant):
        return "local" if actor.id == tandem.local_id else "newcomer"
    return None


def transition(
    session: Session,
    tandem: Tandem,
    to: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    by: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move ``tandem`` to ``to`` if the table allows it from its current state.

    ``reason`` (a key of ``END_REASONS``) is required for ``ended``; ``by`` says who
    ended it (derived from ``actor`` when not given); ``at`` is the effective moment
    of an end (a date the coordinator chose), ``now`` when not given.
    """
    session.refresh(tandem)
    current = tandem.status
    if not allowed(current, to):
        raise TransitionNotAllowed(tandem, to)
    values: dict[str, object] = {"status": to}
    if to == "ended":
        if reason not in END_REASONS:
            raise InvalidReason(reason)
        ended_by = by or _ended_by(tandem, actor)
        if ended_by is not None and ended_by not in ENDED_BY:
            raise ValueError(f"unknown ender {ended_by!r}")
        values.update(
            ended_at=at or now, end_reason=reason, ended_by=ended_by, next_checkin_at=None
        )
    elif to == "paused":
        values["paused_at"] = now
    elif current == "paused":  # resumed
        values["paused_at"] = None
    else:  # started
        values["started_at"] = now
    moved = session.execute(
        update(Tandem)
        .where(col(Tandem.id) == tandem.id, col(Tandem.status) == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    if rowcount(moved) != 1:
        raise TransitionNotAllowed(tandem, to)  # someone else moved it a moment ago
    audit.write(
        session,
        now=now,
        actor=actor,
        action=TRANSITIONS[(current, to)],
        subject_type="tandem",
        subject_id=tandem.id,
    )
    if to == "ended":
        _after_end(session, tandem, now=now)
    elif current == "proposed":
        started(session, tandem, now=now)
    session.flush()


def started(session: Session, tandem: Tandem, *, now: datetime) -> None:
    """What follows a start (also called by ``web.proposals.proposals`` when both accepted):
    the fit check is due in four weeks, the first check-in is that fit check, and a
    ``started`` event with the newcomer's waiting days is recorded once."""
    begin = tandem.started_at or now
    if tandem.fit_check_due_at is None:
        tandem.fit_check_due_at = begin + FIT_CHECK_AFTER
        tandem.next_checkin_at = tandem.fit_check_due_at
        session.add(tandem)
    recorded = session.scalar(
        select(
            exists().where(col(Event.kind) == "started", col(Event.tandem_ref) == tandem.public_id)
        )
    )
    if not recorded:
        newcomer = tandem.newcomer
        waiting = None
        if newcomer is not None and newcomer.waiting_since is not None:
            waiting = max(0, (begin.date() - newcomer.waiting_since).days)
        events.record(
            session, "started", at=begin, region_id=tandem.region_id, tandem=tandem, days=waiting
        )
    session.flush()


def free_places(session: Session, tandem: Tandem) -> None:
    """Both partners' ``open_tandems`` back down by one (never below zero)."""
    ids = [pid for pid in (tandem.local_id, tandem.newcomer_id) if pid is not None]
    if not ids:
        return
    session.execute(
        update(Participant)
        .where(col(Participant.id).in_(ids), col(Participant.open_tandems) > 0)
        .values(open_tandems=col(Participant.open_tandems) - 1)
        .execution_options(synchronize_session=False)
    )
    for person in (tandem.local, tandem.newcomer):
        if person is not None:
            session.refresh(person)


def _after_end(session: Session, tandem: Tandem, *, now: datetime) -> None:
    free_places(session, tandem)
    newcomer = tandem.newcomer
    if newcomer is not None and newcomer.status == "active":
        # Out of the queue until they (or a coordinator's re-match) say otherwise.
        newcomer.status = "paused"
        newcomer.updated_at = now
        session.add(newcomer)
    ended_at = tandem.ended_at or now
    days = None
    if tandem.started_at is not None:
        days = max(0, (ended_at - tandem.started_at).days)
    events.record(
        session,
        "ended",
        at=ended_at,
        region_id=tandem.region_id,
        tandem=tandem,
        reason=tandem.end_reason,
        days=days,
    )


def end_moment(day: date, *, tandem: Tandem, now: datetime) -> datetime:
    """The moment to record for an end on calendar ``day`` (the programme's time zone):
    ``now`` for today, midday for an earlier day; never before the start, never later
    than today."""
    zone = PROGRAMME_TIMEZONE or UTC
    today = now.astimezone(zone).date()
    started_on = tandem.started_at.astimezone(zone).date() if tandem.started_at else None
    if day > today or (started_on is not None and day < started_on):
        raise InvalidEndDate(day)
    if day == today:
        return now
    moment = datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)
    return max(moment, tandem.started_at) if tandem.started_at else moment


# --- the named steps ------------------------------------------------------------------------


def pause(session: Session, tandem: Tandem, *, actor: Actor, now: datetime) -> None:
    transition(session, tandem, "paused", actor=actor, now=now)


def resume(session: Session, tandem: Tandem, *, actor: Actor, now: datetime) -> None:
    transition(session, tandem, "active", actor=actor, now=now)


def end(
    session: Session,
    tandem: Tandem,
    *,
    reason: str,
    by: str,
    now: datetime,
    actor: Actor = None,
    at: datetime | None = None,
) -> None:
    """End an active or paused tandem with a reason; frees both partners' places.

    ``by`` is "coordinator", "local" or "newcomer"; ``actor`` (the coordinator or the
    participant) is who the audit log names.
    """
    if by not in ENDED_BY:
        raise ValueError(f"unknown ender {by!r}")
    transition(session, tandem, "ended", actor=actor, now=now, reason=reason, by=by, at=at)


def mark_fit_checked(session: Session, tandem: Tandem, *, actor: Actor, now: datetime) -> None:
    """The four-week fit check happened (an answered check-in, or a coordinator's call)."""
    claimed = session.execute(
        update(Tandem)
        .where(
            col(Tandem.id) == tandem.id,
            col(Tandem.status).in_(("active", "paused")),
            col(Tandem.fit_checked_at).is_(None),
        )
        .values(fit_checked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    if rowcount(claimed) != 1:
        raise TransitionNotAllowed(tandem, "fit_checked")
    audit.write(
        session,
        now=now,
        actor=actor,
        action="tandem.fit_checked",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    session.flush()


@dataclass(frozen=True)
class Rematch:
    ended: bool  # the tandem was open and has been ended now
    requeued: bool  # the newcomer is back in the matching queue


def can_rematch(session: Session, tandem: Tandem) -> bool:
    """Whether re-match is possible: an open tandem, or an ended one whose newcomer
    still waits outside the queue (paused, in no other open tandem)."""
    if tandem.status in ("active", "paused"):
        return True
    newcomer = tandem.newcomer
    if tandem.status != "ended" or newcomer is None or newcomer.status != "paused":
        return False
    return not _in_open_tandem(session, newcomer)


def _in_open_tandem(session: Session, person: Participant) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    col(Tandem.newcomer_id) == person.id,
                    col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
                )
            )
        )
    )


def rematch(
    session: Session,
    tandem: Tandem,
    *,
    coordinator: Coordinator,
    now: datetime,
    reason: str | None = None,
    at: datetime | None = None,
) -> Rematch:
    """End the tandem (if still open, with ``reason``) and put the newcomer back in the
    queue at once: status ``active``, ``waiting_since`` kept — the waiting time before
    this tandem counts, so the engine ranks them as the long waiter they are.

    Also works on a tandem a partner already ended, while its newcomer is paused.
    """
    session.refresh(tandem)
    was_open = tandem.status in ("active", "paused")
    if was_open:
        end(
            session,
            tandem,
            reason=reason or "",
            by="coordinator",
            now=now,
            actor=coordinator,
            at=at,
        )
    elif not can_rematch(session, tandem):
        raise TransitionNotAllowed(tandem, "rematch")
    newcomer = tandem.newcomer
    requeued = False
    if newcomer is not None:
        session.refresh(newcomer)
        if newcomer.status in ("active", "paused") and not _in_open_tandem(session, newcomer):
            newcomer.status = "active"
            if newcomer.waiting_since is None:
                newcomer.waiting_since = (tandem.started_at or now).date()
            newcomer.updated_at = now
            session.add(newcomer)
            requeued = True
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="tandem.rematched",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    session.flush()
    return Rematch(ended=was_open, requeued=requeued)
