"""Introductions with consent on both sides.

A tandem a coordinator confirmed is a *proposal*: each partner gets an e-mail
in their own language with a redacted version of the reasons and an answer
link (single use, 7 days). Only when both accept does the tandem become active
and are contact details exchanged (as far as each one consented); a decline
forbids the pair and puts the newcomer back in the queue with their waiting
time kept; no answer in time expires the proposal (``follow_up``, run hourly
by ``tandem follow-up``).

Every function takes ``now`` and the caller's session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core import audit, events, links, mail, phones, reach, signature
from web.core.access import region_ids_of, visible_regions
from web.core.dates import local_date
from web.core.models import (
    AccessToken,
    Coordinator,
    PairRule,
    Participant,
    Tandem,
)
from web.core.reasons import describe
from web.core.settings import Settings
from web.core.sql import id_of, rel, rowcount
from web.core.vocabulary import EVENT_KINDS, PROPOSAL_DECLINE_REASONS, WITHDRAW_REASONS
from web.places import first_meeting
from web.tandems import lifecycle

ANSWER_DAYS = 7
REMIND_BEFORE = timedelta(days=2)
CHOICES = {"accept": "accepted", "decline": "declined"}


def due_date(tandem: Tandem, *, locale: str) -> str:
    """The last day to answer, as a date in the reader's language."""
    return local_date(tandem.answer_due_at, locale=locale)


def partners(tandem: Tandem) -> list[tuple[Participant, Participant]]:
    """(person, their partner) for both sides; a side erased meanwhile is left out."""
    local, newcomer = tandem.local, tandem.newcomer
    if local is None or newcomer is None:
        return []
    return [(local, newcomer), (newcomer, local)]


def redacted_reasons(
    tandem: Tandem, *, locale: str, reader: Participant | None = None
) -> list[str]:
    """The reasons a partner may read: no waiting time, pins, broken rules or free text.
    With ``reader``, the sentences say "you" to them and name only their partner."""
    local, newcomer = tandem.local, tandem.newcomer
    side = None
    if reader is not None and local is not None and reader.id == local.id:
        side = "local"
    elif reader is not None and newcomer is not None and reader.id == newcomer.id:
        side = "newcomer"
    return describe(
        list(tandem.reasons or []),
        locale=locale,
        local_name=local.first_name if local else "",
        newcomer_name=newcomer.first_name if newcomer else "",
        redacted=True,
        reader=side,
        local_town=local.place.name if local and local.place else "",
        newcomer_town=newcomer.place.name if newcomer and newcomer.place else "",
    )


def _send_answer_link(
    session: Session,
    tandem: Tandem,
    person: Participant,
    partner: Participant,
    *,
    template: str,
    settings: Settings,
    now: datetime,
    extra: dict[str, str] | None = None,
    attachment: mail.Attachment | None = None,
) -> None:
    links.send(
        session,
        person,
        "answer",
        settings=settings,
        now=now,
        lifetime=(tandem.answer_due_at or now + timedelta(days=ANSWER_DAYS)) - now,
        tandem=tandem,
        template=template,
        context={
            **_proposal_context(tandem, person, partner),
            **signature.for_tandem(session, tandem),
            **(extra or {}),
        },
        attachment=attachment,
    )


def _proposal_context(
    tandem: Tandem, person: Participant, partner: Participant
) -> dict[str, object]:
    return {
        "first_name": person.first_name,
        "partner_name": partner.first_name,
        "partner_town": partner.place.name if partner.place else "",
        "reasons": redacted_reasons(tandem, locale=person.locale, reader=person),
        "due_date": due_date(tandem, locale=person.locale),
    }


def _meeting(
    session: Session, tandem: Tandem, person: Participant, *, now: datetime
) -> tuple[dict[str, str] | None, mail.Attachment | None]:
    """The first meeting the coordinator chose, for ``person``'s e-mail, with its .ics."""
    meeting = first_meeting.current(session, tandem)
    if meeting is None:
        return None, None
    return (
        first_meeting.mail_context(meeting, locale=person.locale),
        first_meeting.invitation(meeting, locale=person.locale, now=now),
    )


def _send_proposal(
    session: Session,
    tandem: Tandem,
    person: Participant,
    partner: Participant,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """The proposal e-mail (or contact task) with a new answer link, and the first meeting
    with its invitation when one is chosen."""
    meeting, invitation = _meeting(session, tandem, person, now=now)
    _send_answer_link(
        session,
        tandem,
        person,
        partner,
        template="proposal",
        settings=settings,
        now=now,
        extra=meeting,
        attachment=invitation,
    )


def propose(session: Session, tandem: Tandem, *, settings: Settings, now: datetime) -> None:
    """Make a just-confirmed tandem a proposal: answer links and one e-mail per partner."""
    tandem.proposed_at = now
    tandem.answer_due_at = now + timedelta(days=ANSWER_DAYS)
    tandem.reminded_at = None
    session.add(tandem)
    session.flush()
    for person, partner in partners(tandem):
        _send_proposal(session, tandem, person, partner, settings=settings, now=now)
    events.record_proposal(session, "proposed", tandem, at=now)
    audit.write(
        session,
        now=now,
        actor=None,
        action="proposal.sent",
        subject_type="tandem",
        subject_id=tandem.id,
    )


# --- answering -------------------------------------------------------------------------------


class AlreadyAnswered(links.LinkError):
    code = "answered"


class ProposalClosed(links.LinkError):
    code = "closed"


class LinkReplaced(links.LinkError):
    """The coordinator sent the proposal again: only the newest e-mail's link works."""

    code = "replaced"


class InvalidReason(ValueError):
    """A withdrawal without one of ``WITHDRAW_REASONS``."""


def open_link(session: Session, raw: str, *, now: datetime) -> links.Link:
    """The proposal behind an answer link, without using it up (mail scanners open links).

    Raises ``LinkInvalid`` for anything that is not an answer link of a partner of
    its proposal; whether it can still be *answered* is ``check_answerable``'s job.
    """
    link = links.open_tandem_link(session, raw, "answer")
    if link.partner is None:
        raise links.LinkInvalid
    return link


def check_answerable(link: links.Link, *, now: datetime) -> None:
    """Raise the reason this person cannot answer (now); return if they can."""
    if link.my_answer is not None:
        raise AlreadyAnswered
    if link.tandem.status != "proposed":
        raise ProposalClosed
    if link.token.used_at is not None:
        # Unanswered, yet used: revoked when the proposal was sent again (``resend``).
        raise LinkReplaced
    links.check(link.token, now=now)
    due = link.tandem.answer_due_at
    if due is None or due <= now:
        raise links.LinkExpired


def answer(session: Session, raw: str, choice: str, *, now: datetime, why: str = "") -> links.Link:
    """Record a partner's accept or decline; both accepted starts the tandem, a no ends it.

    Safe under concurrency: the link is used up by a compare-and-set, the answer is
    written only if none is recorded yet, and the status changes only from
    ``proposed`` — so of two racing requests exactly one has an effect.
    """
    if choice not in CHOICES:
        raise links.LinkInvalid
    link = open_link(session, raw, now=now)
    check_answerable(link, now=now)
    links.use_up(session, link.token, now=now)
    partner = link.partner
    assert partner is not None  # open_link refuses a link whose partner is gone
    _record(session, link.tandem, link.side, choice, partner=partner, now=now, why=why)
    audit.write(
        session,
        now=now,
        actor=link.person,
        action=f"proposal.{CHOICES[choice]}",
        subject_type="tandem",
        subject_id=link.tandem.id,
    )
    _after_answer(session, link.tandem, choice, partner=partner, now=now)
    return link


def _record(
    session: Session,
    tandem: Tandem,
    side: str,
    choice: str,
    *,
    partner: Participant,
    now: datetime,
    why: str = "",
) -> None:
    answer_column = getattr(Tandem, f"{side}_answer")
    values: dict[str, object] = {f"{side}_answer": CHOICES[choice], f"{side}_answered_at": now}
    if choice == "decline" and why in PROPOSAL_DECLINE_REASONS:
        values[f"{side}_decline_reason"] = why  # optional: only a reason from the list
    recorded = session.execute(
        update(Tandem)
        .where(
            col(Tandem.id) == tandem.id, col(Tandem.status) == "proposed", answer_column.is_(None)
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(recorded) != 1:
        session.refresh(tandem)
        raise AlreadyAnswered if getattr(tandem, f"{side}_answer") else ProposalClosed
    session.refresh(tandem)


def _after_answer(
    session: Session, tandem: Tandem, choice: str, *, partner: Participant, now: datetime
) -> None:
    if choice == "decline":
        _close(session, tandem, status="declined", now=now, notify=[partner])
    elif tandem.local_answer == "accepted" and tandem.newcomer_answer == "accepted":
        _start(session, tandem, now=now)


def answer_for(
    session: Session,
    tandem: Tandem,
    person: Participant,
    choice: str,
    *,
    coordinator: Coordinator,
    how: str,
    now: datetime,
) -> None:
    """A coordinator records ``person``'s answer, given by phone or in person (issue 16):
    the same checks and effects as the person's own link, audited as the coordinator's
    action on the person's request (``how``: a key of ``vocabulary.REQUEST_WAYS``)."""
    if choice not in CHOICES:
        raise links.LinkInvalid
    partner = next((other for one, other in partners(tandem) if one.id == person.id), None)
    if partner is None:
        raise links.LinkInvalid
    side = "local" if tandem.local_id == person.id else "newcomer"
    if getattr(tandem, f"{side}_answer") is not None:
        raise AlreadyAnswered
    if tandem.status != "proposed":
        raise ProposalClosed
    if tandem.answer_due_at is None or tandem.answer_due_at <= now:
        raise links.LinkExpired
    _record(session, tandem, side, choice, partner=partner, now=now)
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action=f"proposal.{CHOICES[choice]}.on_request.{how}",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    reach.done(
        session,
        participant_id=id_of(person),
        tandem_id=tandem.id,
        kinds=("proposal", "proposal_reminder"),
        coordinator_id=coordinator.id,
        now=now,
    )
    _after_answer(session, tandem, choice, partner=partner, now=now)


def _set_status(session: Session, tandem: Tandem, status: str, **values: object) -> bool:
    """Move an open proposal to ``status``; False if another request moved it first."""
    changed = session.execute(
        update(Tandem)
        .where(col(Tandem.id) == tandem.id, col(Tandem.status) == "proposed")
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    return rowcount(changed) == 1


def _start(session: Session, tandem: Tandem, *, now: datetime) -> None:
    if not _set_status(session, tandem, "active", started_at=now):
        return
    events.record_proposal(session, "accepted", tandem, at=now)
    lifecycle.started(session, tandem, now=now)  # fit check due, started event
    if not all(shares_contact(person) for person, _partner in partners(tandem)):
        # Not both agreed to pass on their contact details: the coordinator puts them in
        # touch by hand, a task on the dashboard until it is marked done.
        tandem.put_in_touch_since = now
        session.add(tandem)
        session.flush()
    for person, partner in partners(tandem):
        shared = shares_contact(partner)
        meeting, invitation = _meeting(session, tandem, person, now=now)
        reach.tell(
            session,
            person,
            template="tandem_started",
            context={
                "first_name": person.first_name,
                "partner_name": partner.first_name,
                "partner_email": (partner.email or "") if shared else "",
                "partner_phone": phones.national(partner.phone) if shared else "",
                **signature.for_tandem(session, tandem),
                **(meeting or {}),
            },
            tandem_id=tandem.id,
            now=now,
            attachment=invitation,
        )
        if shared:
            audit.write(
                session,
                now=now,
                actor=None,
                action="contact.shared",
                subject_type="tandem",
                subject_id=tandem.id,
            )
    audit.write(
        session,
        now=now,
        actor=None,
        action="tandem.started",
        subject_type="tandem",
        subject_id=tandem.id,
    )


def _close(
    session: Session,
    tandem: Tandem,
    *,
    status: str,
    now: datetime,
    notify: list[Participant],
    actor: Coordinator | None = None,
    **values: object,
) -> bool:
    """End a proposal that will not become a tandem: counters back, newcomer back in the queue.

    The newcomer's ``waiting_since`` is left alone, so their waiting time counts on.
    """
    if not _set_status(session, tandem, status, **values):
        return False
    if status in EVENT_KINDS:  # declined, expired (and withdrawn): anonymous, for reports
        events.record_proposal(session, status, tandem, at=now, reason=close_reason(tandem, status))
    ids = [pid for pid in (tandem.local_id, tandem.newcomer_id) if pid is not None]
    session.execute(
        update(Participant)
        .where(col(Participant.id).in_(ids), col(Participant.open_tandems) > 0)
        .values(open_tandems=col(Participant.open_tandems) - 1)
        .execution_options(synchronize_session=False)
    )
    for person in (tandem.local, tandem.newcomer):
        if person is not None:
            session.refresh(person)
    if status == "declined" and tandem.local_id and tandem.newcomer_id:
        _forbid(session, tandem, now=now)
    notify_ids = {person.id for person in notify}
    for person, partner in partners(tandem):
        if person.id in notify_ids:
            reach.tell(
                session,
                person,
                template="proposal_closed",
                context={
                    "first_name": person.first_name,
                    "partner_name": partner.first_name,
                    **signature.for_tandem(session, tandem),
                },
                tandem_id=tandem.id,
                now=now,
            )
    audit.write(
        session,
        now=now,
        actor=actor,
        action=f"proposal.{status}",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return True


def close_reason(tandem: Tandem, status: str) -> str | None:
    """Why a proposal closed without a tandem (``vocabulary.PROPOSAL_CLOSE_REASONS``): who said
    no, or who did not answer in time; for a withdrawn one the coordinator's reason."""
    if status == "withdrawn":
        return tandem.withdraw_reason
    if status == "declined":
        for side in ("local", "newcomer"):
            if getattr(tandem, f"{side}_answer") == "declined":
                return f"{side}_declined"
        return None
    if status == "expired":
        silent = [
            side for side in ("local", "newcomer") if getattr(tandem, f"{side}_answer") is None
        ]
        return "both_silent" if len(silent) == 2 else f"{silent[0]}_silent" if silent else None
    return None


def _forbid(session: Session, tandem: Tandem, *, now: datetime) -> None:
    """Never suggest this pair again (a pin for the pair becomes a ban)."""
    local_id, newcomer_id = tandem.local_id, tandem.newcomer_id
    assert local_id is not None and newcomer_id is not None  # the caller checked both
    rule = session.scalars(
        select(PairRule).where(
            col(PairRule.local_id) == tandem.local_id,
            col(PairRule.newcomer_id) == tandem.newcomer_id,
        )
    ).first()
    if rule is None:
        rule = PairRule(
            region_id=tandem.region_id,
            local_id=local_id,
            newcomer_id=newcomer_id,
            kind="forbid",
            created_at=now,
        )
    rule.kind = "forbid"
    session.add(rule)
    session.flush()
    audit.write(
        session,
        now=now,
        actor=None,
        action="pair.forbidden",
        subject_type="tandem",
        subject_id=tandem.id,
    )


def shares_contact(person: Participant) -> bool:
    """Whether ``person`` agreed (and still agrees) to pass their contact to a partner."""
    return any(
        consent.purpose == "contact_sharing" and consent.withdrawn_at is None
        for consent in person.consents
    )


# --- the coordinator withdraws or sends again (issue 15 §5) ---------------------------------


def withdraw(
    session: Session, tandem: Tandem, *, coordinator: Coordinator, reason: str, now: datetime
) -> bool:
    """Take back an open proposal: both partners are told kindly (without the reason), the
    newcomer waits again with their waiting time kept, the pair is not suggested again.

    False when the proposal was no longer open (answered, expired or withdrawn a moment
    ago). Raises ``InvalidReason`` without a reason from ``WITHDRAW_REASONS``.
    """
    if reason not in WITHDRAW_REASONS:
        raise InvalidReason(reason)
    closed = _close(
        session,
        tandem,
        status="withdrawn",
        now=now,
        notify=_people(tandem),
        actor=coordinator,
        withdrawn_at=now,
        withdrawn_by_id=coordinator.id,
        withdraw_reason=reason,
    )
    return closed


def resend(session: Session, tandem: Tandem, *, coordinator: Coordinator, settings: Settings,
           now: datetime) -> int:  # fmt: skip
    """Send an open proposal again, with a new answer time: fresh links to the partners who
    have not answered; every earlier answer link of the proposal stops working. Returns how
    many people were written to. Raises ``ProposalClosed`` when it is no longer open."""
    claimed = session.execute(
        update(Tandem)
        .where(col(Tandem.id) == tandem.id, col(Tandem.status) == "proposed")
        .values(answer_due_at=now + timedelta(days=ANSWER_DAYS), reminded_at=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    if rowcount(claimed) != 1:
        raise ProposalClosed
    session.execute(
        update(AccessToken)
        .where(
            col(AccessToken.tandem_id) == tandem.id,
            col(AccessToken.purpose) == "answer",
            col(AccessToken.used_at).is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    sent = 0
    for person, partner in partners(tandem):
        side = "local" if person.id == tandem.local_id else "newcomer"
        if getattr(tandem, f"{side}_answer") is not None:
            continue
        _send_proposal(session, tandem, person, partner, settings=settings, now=now)
        sent += 1
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="proposal.resent",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return sent


# --- reminders and expiry (``tandem follow-up``, hourly from cron) ---------------------------


def follow_up(
    session: Session, *, now: datetime, settings: Settings | None = None
) -> tuple[int, int]:
    """Send due reminders and expire overdue proposals; return (people reminded, expired).

    Safe to run in overlapping processes: each step is a compare-and-set on the row.
    """
    reminded = expired = 0
    settings = settings or Settings()
    overdue = session.scalars(
        select(Tandem)
        .where(col(Tandem.status) == "proposed", col(Tandem.answer_due_at) <= now)
        .order_by(col(Tandem.id))
    ).all()
    for tandem in overdue:
        if _close(session, tandem, status="expired", now=now, notify=_people(tandem)):
            expired += 1
    due_for_reminder = session.scalars(
        select(Tandem)
        .where(
            col(Tandem.status) == "proposed",
            col(Tandem.reminded_at).is_(None),
            col(Tandem.answer_due_at) > now,
            col(Tandem.answer_due_at) <= now + REMIND_BEFORE,
        )
        .order_by(col(Tandem.id))
    ).all()
    for tandem in due_for_reminder:
        reminded += remind(session, tandem, settings=settings, now=now)
    return reminded, expired


def _people(tandem: Tandem) -> list[Participant]:
    return [person for person, _partner in partners(tandem)]


def remind(session: Session, tandem: Tandem, *, settings: Settings, now: datetime) -> int:
    """One reminder, with a fresh link, to each partner who has not answered yet."""
    claimed = session.execute(
        update(Tandem)
        .where(
            col(Tandem.id) == tandem.id,
            col(Tandem.status) == "proposed",
            col(Tandem.reminded_at).is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(tandem)
    if rowcount(claimed) != 1:
        return 0
    sent = 0
    for person, partner in partners(tandem):
        side = "local" if person.id == tandem.local_id else "newcomer"
        if getattr(tandem, f"{side}_answer") is not None:
            continue
        _send_answer_link(
            session,
            tandem,
            person,
            partner,
            template="proposal_reminder",
            settings=settings,
            now=now,
        )
        sent += 1
    audit.write(
        session,
        now=now,
        actor=None,
        action="proposal.reminded",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return sent


# --- the coordinator's overview -------------------------------------------------------------

RECENT_DAYS = 30
RECENT_LIMIT = 50
# A proposal's outcome: both said yes (the tandem started, and may since have been paused
# or ended), a partner declined, or it expired.
STARTED = ("active", "paused", "ended")
OUTCOMES = (*STARTED, "declined", "expired", "withdrawn")


@dataclass(frozen=True)
class ProposalRow:
    tandem: Tandem
    region: str
    age_days: int  # since the proposal went out
    closed_at: datetime | None  # when it became a tandem, was declined or expired


@dataclass(frozen=True)
class Overview:
    open: list[ProposalRow]
    recent: list[ProposalRow]


def _closed_at(tandem: Tandem) -> datetime | None:
    if tandem.status in STARTED:
        return tandem.started_at
    if tandem.status == "declined":
        answered = [t for t in (tandem.local_answered_at, tandem.newcomer_answered_at) if t]
        return max(answered) if answered else None
    if tandem.status == "withdrawn":
        return tandem.withdrawn_at
    return tandem.answer_due_at


def overview(session: Session, coordinator: Coordinator, *, now: datetime) -> Overview:
    """Open proposals (oldest first) and the recently closed ones, in the coordinator's regions."""
    region_ids = region_ids_of(session, coordinator)
    regions = {region.id: region.name for region in visible_regions(session, coordinator)}
    base = select(Tandem).options(
        selectinload(rel(Tandem.local)).selectinload(rel(Participant.place)),
        selectinload(rel(Tandem.newcomer)).selectinload(rel(Participant.place)),
    )
    if region_ids is not None:
        base = base.where(col(Tandem.region_id).in_(region_ids))
    open_tandems = session.scalars(
        base.where(col(Tandem.status) == "proposed").order_by(
            col(Tandem.proposed_at), col(Tandem.id)
        )
    ).all()
    recent_tandems = session.scalars(
        base.where(
            col(Tandem.status).in_(OUTCOMES),
            # A tandem that was never proposed (an old record) is no proposal's outcome.
            col(Tandem.proposed_at) >= now - timedelta(days=RECENT_DAYS),
            or_(
                col(Tandem.status).in_(("declined", "expired", "withdrawn")),
                col(Tandem.started_at).is_not(None),
            ),
        )
        .order_by(col(Tandem.proposed_at).desc(), col(Tandem.id).desc())
        .limit(RECENT_LIMIT)
    ).all()

    def row(tandem: Tandem) -> ProposalRow:
        since = tandem.proposed_at or tandem.decided_at or tandem.created_at
        return ProposalRow(
            tandem=tandem,
            region=regions.get(tandem.region_id, ""),
            age_days=max(0, (now - since).days),
            closed_at=_closed_at(tandem),
        )

    return Overview(open=[row(t) for t in open_tandems], recent=[row(t) for t in recent_tandems])
