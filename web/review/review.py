"""The review queue: verified sign-ups waiting for a coordinator, and locals' vetting.

A coordinator approves a sign-up (then the engine may match them), asks for a
call first, or declines it. For locals they record that the extended police
certificate (§ 72a SGB VIII) was *seen*: its date and who saw it — never a copy.
Status changes are compare-and-set updates, so two coordinators acting on the
same person at once cannot both win; the loser is told it was already handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from web.core import audit, params, reach, signature
from web.core.access import visible_participants
from web.core.forms import clean_text, single
from web.core.i18n import N_
from web.core.models import (
    ContactTask,
    Coordinator,
    OutboxMessage,
    Participant,
    Tandem,
    Vetting,
    utcnow,
)
from web.core.sql import id_of, rel, rowcount
from web.core.vocabulary import SIGNUP_DECLINE_REASONS

# Certificates are re-inspected every five years by common practice (SECURITY.md §3.2).
CERTIFICATE_MAX_AGE_YEARS = 5
VETTING_STATUSES = ("pending", "active", "paused")  # locals still taking part
UNVETTED_LIST_LIMIT = 50


class AlreadyHandled(Exception):
    """The person is no longer waiting for review (another coordinator was quicker)."""


def _with_details(query: Select) -> Select:
    return query.options(
        selectinload(rel(Participant.languages)),
        selectinload(rel(Participant.place)),
        selectinload(rel(Participant.vetting)),
    )


def pending_signups(session: Session, coordinator: Coordinator) -> list[Participant]:
    """Verified sign-ups waiting for approval in the coordinator's regions, oldest first."""
    query = visible_participants(session, coordinator).where(col(Participant.status) == "pending")
    waiting_since = func.coalesce(col(Participant.verified_at), col(Participant.created_at))
    return list(session.scalars(_with_details(query).order_by(waiting_since, col(Participant.id))))


def unvetted_locals(session: Session, coordinator: Coordinator) -> list[Participant]:
    """Active locals without a recorded certificate (the engine pairs minors only with vetted
    locals), the longest-approved first."""
    query = (
        visible_participants(session, coordinator)
        .where(col(Participant.role) == "local", col(Participant.status) == "active")
        .where(~rel(Participant.vetting).has())
        .order_by(col(Participant.approved_at), col(Participant.id))
        .limit(UNVETTED_LIST_LIMIT)
    )
    return list(session.scalars(_with_details(query)))


def _set_if_pending(session: Session, person: Participant, **values: Any) -> None:
    changed = session.execute(
        update(Participant)
        .where(col(Participant.id) == person.id, col(Participant.status) == "pending")
        .values(**values)
    )
    if rowcount(changed) != 1:
        raise AlreadyHandled()
    session.refresh(person)


def approve(
    session: Session, person: Participant, *, coordinator: Coordinator, now: datetime
) -> None:
    """Pending → active. A newcomer keeps their waiting time; it starts today if unknown."""
    values: dict[str, Any] = {"status": "active", "approved_at": now, "updated_at": now}
    if person.role == "newcomer":
        values["waiting_since"] = func.coalesce(col(Participant.waiting_since), now.date())
    _set_if_pending(session, person, **values)
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="participant.approved",
        subject_type="participant",
        subject_id=person.id,
    )


def request_call(
    session: Session, person: Participant, *, coordinator: Coordinator, now: datetime
) -> None:
    """Note that the coordinator wants to talk to the person first; they stay pending."""
    _set_if_pending(session, person, call_requested_at=now, updated_at=now)
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="participant.call_requested",
        subject_type="participant",
        subject_id=person.id,
    )


# A decline can be undone for this long; the person's e-mail waits a minute longer, so
# that it is never sent for a decline that was undone.
UNDO_WINDOW = timedelta(minutes=10)
MAIL_DELAY = UNDO_WINDOW + timedelta(minutes=1)
DECLINE_NOTE_MAX = 500


@dataclass
class DeclineForm:
    """The reason a coordinator gives for declining, and an optional note (personal data:
    stays with the coordinators, erased with the person, never in the e-mail)."""

    reason: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def parse_decline_form(data: dict[str, Any]) -> DeclineForm:
    form = DeclineForm(
        reason=single(data, "reason").strip(),
        note=clean_text(single(data, "note"), max_length=None, multiline=True),
    )
    if form.reason not in SIGNUP_DECLINE_REASONS:
        form.reason = ""
        form.errors["reason"] = N_("Please choose why you decline this sign-up.")
    if len(form.note) > DECLINE_NOTE_MAX:
        form.errors["note"] = N_("Please keep the note under 500 characters.")
    return form


def decline(
    session: Session,
    person: Participant,
    *,
    coordinator: Coordinator,
    reason: str,
    note: str,
    now: datetime,
) -> None:
    """Pending → declined, with the reason; any suggestion naming them goes. The person is
    told kindly in their language once the undo window has passed (a person without
    e-mail: their coordinator gets a task to tell them)."""
    if reason not in SIGNUP_DECLINE_REASONS:
        raise ValueError(f"unknown decline reason {reason!r}")
    _set_if_pending(session, person, status="declined", updated_at=now, declined_at=now,
                    declined_by_id=coordinator.id, decline_reason=reason,
                    decline_note=note or None)  # fmt: skip
    session.execute(
        delete(Tandem).where(
            col(Tandem.status) == "suggested",
            (col(Tandem.local_id) == person.id) | (col(Tandem.newcomer_id) == person.id),
        )
    )
    reach.tell(
        session,
        person,
        template="signup_declined",
        context={
            "first_name": person.first_name,
            "outside_region": reason == "outside_region",
            **signature.for_person(session, person, coordinator=coordinator),
        },
        now=now,
        send_after=now + MAIL_DELAY,
    )
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="participant.declined",
        subject_type="participant",
        subject_id=person.id,
    )


class TooLateToUndo(Exception):
    """The undo window has passed (or the person is no longer declined)."""


def undo_until(person: Participant) -> datetime | None:
    """Until when the decline of ``person`` can be undone (None: not declined)."""
    if person.status != "declined" or person.declined_at is None:
        return None
    return person.declined_at + UNDO_WINDOW


def can_undo(person: Participant, *, now: datetime) -> bool:
    until = undo_until(person)
    return until is not None and now < until


def undo_decline(
    session: Session, person: Participant, *, coordinator: Coordinator, now: datetime
) -> None:
    """Declined → pending again, within the undo window; the e-mail not sent yet (it waits
    longer than the window) and the task to tell them are dropped."""
    changed = session.execute(
        update(Participant)
        .where(
            col(Participant.id) == person.id,
            col(Participant.status) == "declined",
            col(Participant.declined_at) > now - UNDO_WINDOW,
        )
        .values(
            status="pending",
            declined_at=None,
            declined_by_id=None,
            decline_reason=None,
            decline_note=None,
            updated_at=now,
        )  # fmt: skip
    )
    if rowcount(changed) != 1:
        raise TooLateToUndo()
    session.refresh(person)
    session.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.participant_id) == person.id,
            col(OutboxMessage.kind) == "signup_declined",
            col(OutboxMessage.sent_at).is_(None),
        )
    )
    session.execute(
        delete(ContactTask).where(
            col(ContactTask.participant_id) == person.id,
            col(ContactTask.kind) == "signup_declined",
            col(ContactTask.done_at).is_(None),
        )
    )
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="participant.decline_undone",
        subject_type="participant",
        subject_id=person.id,
    )


def recently_declined(
    session: Session, coordinator: Coordinator, *, now: datetime
) -> list[Participant]:
    """Sign-ups declined within the undo window in the coordinator's regions, newest first."""
    query = visible_participants(session, coordinator).where(
        col(Participant.status) == "declined", col(Participant.declined_at) > now - UNDO_WINDOW
    )
    return list(
        session.scalars(
            query.options(selectinload(rel(Participant.place))).order_by(
                col(Participant.declined_at).desc(), col(Participant.id)
            )
        )
    )


# --- vetting ---------------------------------------------------------------------------


def can_be_vetted(person: Participant) -> bool:
    return person.role == "local" and person.status in VETTING_STATUSES


@dataclass
class VettingForm:
    """What the coordinator typed, and the errors to show next to each field."""

    certificate_date: str = ""
    seen_original: bool = False
    parsed_date: date | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _parse_date(text: str) -> date | None:
    try:
        return params.day_iso_or_german(text)
    except params.BadValue:
        return None


def parse_vetting_form(data: dict[str, Any], *, today: date) -> VettingForm:
    form = VettingForm(
        certificate_date=single(data, "certificate_date").strip()[:20],
        seen_original=bool(single(data, "seen_original")),
    )
    day = _parse_date(form.certificate_date)
    if day is None:
        form.errors["certificate_date"] = N_(
            "Please enter the date printed on the certificate, for example 2026-03-31."
        )
    elif day > today:
        form.errors["certificate_date"] = N_("The certificate date cannot be in the future.")
    elif day < _years_before(today, CERTIFICATE_MAX_AGE_YEARS):
        form.errors["certificate_date"] = N_(
            "This certificate is more than 5 years old. Please ask for a new one."
        )
    else:
        form.parsed_date = day
    if not form.seen_original:
        form.errors["seen_original"] = N_(
            "Please confirm that you have seen the original certificate."
        )
    return form


def record_vetting(
    session: Session,
    local: Participant,
    *,
    certificate_date: date,
    coordinator: Coordinator,
    today: date,
) -> Vetting:
    """Insert or update the local's one vetting row (what was seen, when, by whom)."""
    values: dict[str, Any] = {
        "certificate_date": certificate_date,
        "seen_on": today,
        "seen_by_id": coordinator.id,
    }
    vetting = session.scalars(select(Vetting).where(col(Vetting.local_id) == local.id)).first()
    if vetting is None:
        try:
            with session.begin_nested():
                vetting = Vetting(local_id=id_of(local), **values)
                session.add(vetting)
                session.flush()
        except IntegrityError:
            # Another coordinator recorded it at the same moment: update theirs.
            vetting = session.scalars(
                select(Vetting).where(col(Vetting.local_id) == local.id)
            ).one()
    for key, value in values.items():
        setattr(vetting, key, value)
    session.add(vetting)
    session.flush()
    audit.write(session, now=utcnow(), actor=coordinator, action="participant.vetting_recorded",
                 subject_type="participant", subject_id=local.id)  # fmt: skip
    return vetting


def age(person: Participant, *, today: date) -> int:
    return today.year - person.birth_year
