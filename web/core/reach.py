"""Telling a person something: by e-mail, or, for a person without an address, as a task
on their coordinator's dashboard ("call Amal: proposal with Sabine"), which the
coordinator does by hand and ticks off (issue 16). A minor's guardian gets a copy of
proposals and check-ins the same way, in the person's language: a copy to read, without
the person's answer link (only the person answers, or their coordinator on their behalf)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from web.core import mail
from web.core.forms import ADULT_AGE
from web.core.models import (
    ContactTask,
    Coordinator,
    CoordinatorRegion,
    Participant,
    Place,
    Tandem,
)
from web.core.sql import id_of
from web.core.vocabulary import CONTACT_TASK_KINDS

# What a minor's guardian gets a copy of.
GUARDIAN_COPIES = ("proposal", "proposal_reminder", "checkin")


def is_minor(person: Participant, *, now: datetime) -> bool:
    return now.year - person.birth_year < ADULT_AGE


# How a person was told (``tell``): by e-mail, by a task for their coordinator, or not at
# all: a person without e-mail gets nothing that only works by e-mail (a link to confirm
# their address or to open their profile), and no one is left a task to pass it on.
MAILED, TASK, NOT_TOLD = "mailed", "task", "not_told"
# The mails to a person that only make sense by e-mail: a link to confirm the address, to
# open "my profile" (also after a repeated sign-up, or for an address a coordinator
# recorded), and the monthly "what's on" (web/events/whats_on.py: a coordinator is not
# asked to phone a calendar through). Every other mail to a person has a task
# (``CONTACT_TASK_KINDS``).
ONLY_BY_EMAIL = (
    "verify_address",
    "profile_link",
    "signup_again",
    "address_recorded",
    "whats_on",
)


def can_tell(person: Participant, template: str) -> bool:
    """Whether ``tell`` reaches ``person`` with ``template``: by e-mail, or by a task."""
    return bool(person.email) or template in CONTACT_TASK_KINDS


def tell(
    session: Session,
    person: Participant,
    *,
    template: str,
    context: Mapping[str, Any],
    now: datetime,
    tandem_id: int | None = None,
    attachment: mail.Attachment | None = None,
    send_after: datetime | None = None,
) -> str:
    """E-mail ``template`` to ``person``, or leave their coordinator a task to tell them;
    returns how (``MAILED``, ``TASK``, or ``NOT_TOLD`` when neither can be done).
    ``send_after``: the e-mail waits until then (a decision that can still be undone)."""
    if not can_tell(person, template):
        return NOT_TOLD
    told = MAILED if person.email else TASK
    if person.email:
        mail.enqueue(
            session,
            to_address=person.email,
            locale=person.locale,
            template=template,
            context=context,
            participant_id=person.id,
            now=now,
            attachment=attachment,
            send_after=send_after,
        )
    else:
        _task(session, person, template, tandem_id=tandem_id, now=now, for_guardian=False)
    if template in GUARDIAN_COPIES and person.guardian_name and is_minor(person, now=now):
        if person.guardian_email:
            mail.enqueue(
                session,
                to_address=person.guardian_email,
                locale=person.locale,
                template=template,
                context=guardian_copy(person, context),
                participant_id=person.id,  # erased with the person
                now=now,
                attachment=attachment,
            )
        else:
            _task(session, person, template, tandem_id=tandem_id, now=now, for_guardian=True)
    return told


def guardian_copy(person: Participant, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context of a guardian's copy: to read, not to answer. Without the person's link
    (only the person answers, or their coordinator for them), with the guardian's name."""
    copy = {key: value for key, value in context.items() if key != "url"}
    copy.update(guardian_copy=True, guardian_name=person.guardian_name or "")
    return copy


def _task(
    session: Session,
    person: Participant,
    kind: str,
    *,
    tandem_id: int | None,
    now: datetime,
    for_guardian: bool,
) -> None:
    if kind not in CONTACT_TASK_KINDS:
        raise ValueError(f"no task for a person without e-mail instead of {kind!r}")
    session.add(
        ContactTask(
            participant_id=id_of(person),
            kind=kind,
            tandem_id=tandem_id,
            created_at=now,
            for_guardian=for_guardian,
        )
    )


def done(
    session: Session,
    *,
    participant_id: int,
    tandem_id: int | None,
    kinds: tuple[str, ...],
    coordinator_id: int | None,
    now: datetime,
) -> None:
    """The open tasks of these kinds about the person (and tandem) are done."""
    condition = [
        col(ContactTask.participant_id) == participant_id,
        col(ContactTask.kind).in_(kinds),
        col(ContactTask.done_at).is_(None),
    ]
    if tandem_id is not None:
        condition.append(col(ContactTask.tandem_id) == tandem_id)
    session.execute(
        update(ContactTask)
        .where(*condition)
        .values(done_at=now, done_by_id=coordinator_id)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class OpenTask:
    task: ContactTask
    person: Participant
    partner_name: str  # "" when the task is not about a tandem, or the partner was erased
    tandem: Tandem | None


def open_tasks(session: Session, coordinator: Coordinator, *, limit: int = 50) -> list[OpenTask]:
    """The tasks not done yet about people in the coordinator's regions, oldest first; one
    statement (the dashboard's query count does not grow with the tasks)."""
    partner = aliased(Participant)
    query = (
        select(ContactTask, Participant, Tandem, col(partner.first_name))
        .join(Participant, col(Participant.id) == col(ContactTask.participant_id))
        .join(Place, col(Place.id) == col(Participant.place_id))
        .outerjoin(Tandem, col(Tandem.id) == col(ContactTask.tandem_id))
        .outerjoin(
            partner,
            (
                (col(partner.id) == col(Tandem.local_id))
                | (col(partner.id) == col(Tandem.newcomer_id))
            )
            & (col(partner.id) != col(Participant.id)),
        )
        .where(col(ContactTask.done_at).is_(None))
        .order_by(col(ContactTask.created_at), col(ContactTask.id))
        .limit(limit)
    )
    if not coordinator.is_admin:
        query = query.join(
            CoordinatorRegion,
            (col(CoordinatorRegion.region_id) == col(Place.region_id))
            & (col(CoordinatorRegion.coordinator_id) == coordinator.id),
        )
    return [
        OpenTask(task, person, partner_name or "", tandem)
        for task, person, tandem, partner_name in session.execute(query).all()
    ]


def task_for(session: Session, coordinator: Coordinator, task_id: int) -> ContactTask | None:
    """One open task the coordinator may see (region-scoped), or None."""
    return next(
        (t.task for t in open_tasks(session, coordinator, limit=1000) if t.task.id == task_id), None
    )
