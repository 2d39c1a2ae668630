"""A partner's own tandem under /me: what they see of it, "something is wrong" and "end my tandem".

A report lands, flagged, in the coordinator's queue with its tandem
(``web.tandems.problems`` handles it there). A partner who ends the tandem gives a
reason — for the coordinator and the statistics only: the other partner is told
kindly, without it, in their own language.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from web.core import audit, reach, signature
from web.core.dates import local_date
from web.core.forms import clean_text
from web.core.models import Participant, ProblemReport, Tandem
from web.core.sql import id_of
from web.core.vocabulary import PROBLEM_KINDS
from web.tandems import lifecycle, problems
from web.tandems.problems import ProblemError

NOTE_MAX = 1000
CURRENT_STATUSES = ("active", "paused")
# A partner's own page shows these; a proposal has its own answer page.
VISIBLE_STATUSES = ("active", "paused", "ended")


class InvalidKind(ProblemError, ValueError):
    code = "kind"


class NotCurrent(ProblemError):
    """The tandem is no longer active or paused (ended meanwhile)."""

    code = "not_current"


@dataclass(frozen=True)
class MyTandem:
    """A tandem as one of its partners sees it: the partner's first name, no more."""

    tandem: Tandem
    side: str  # "local" or "newcomer": the viewer's role in it
    partner_name: str

    @property
    def public_id(self) -> str:
        return self.tandem.public_id

    @property
    def is_current(self) -> bool:
        return self.tandem.status in CURRENT_STATUSES

    def since(self, locale: str) -> str:
        return local_date(self.tandem.started_at, locale=locale)

    def ended_on(self, locale: str) -> str:
        return local_date(self.tandem.ended_at, locale=locale)


def _mine(person: Participant) -> ColumnElement[bool]:
    return or_(col(Tandem.local_id) == person.id, col(Tandem.newcomer_id) == person.id)


def _view(tandem: Tandem, person: Participant) -> MyTandem:
    side = "local" if tandem.local_id == person.id else "newcomer"
    partner = tandem.newcomer if side == "local" else tandem.local
    return MyTandem(tandem=tandem, side=side, partner_name=partner.first_name if partner else "")


def current_tandems(session: Session, person: Participant) -> list[MyTandem]:
    """The person's active or paused tandems (a local may have up to three)."""
    tandems = session.scalars(
        select(Tandem)
        .where(_mine(person), col(Tandem.status).in_(CURRENT_STATUSES))
        .order_by(col(Tandem.started_at), col(Tandem.id))
    ).all()
    return [_view(tandem, person) for tandem in tandems]


def my_tandem(session: Session, person: Participant, public_id: str) -> MyTandem | None:
    """One of the person's own tandems (active, paused or ended); None for anything else."""
    tandem = session.scalars(
        select(Tandem).where(
            col(Tandem.public_id) == public_id,
            _mine(person),
            col(Tandem.status).in_(VISIBLE_STATUSES),
        )
    ).first()
    return _view(tandem, person) if tandem is not None else None


def report(
    session: Session,
    mine: MyTandem,
    person: Participant,
    *,
    kind: str,
    note: object,
    now: datetime,
    urgent: bool = False,
    base_url: str = "",
    coordinator_locale: str = "de",
) -> ProblemReport:
    """File (or add to) the person's unhandled report of this kind on their tandem.

    One open report per kind and partner: a second one adds its note to the first,
    so the coordinator's queue shows one flag, not a pile of duplicates. An ``urgent``
    report ("I don't feel safe") stays urgent until handled, and each one alerts the
    region's coordinators by e-mail at once.
    """
    if kind not in PROBLEM_KINDS:
        raise InvalidKind(kind)
    session.refresh(mine.tandem)
    if not mine.is_current:
        raise NotCurrent
    text = clean_text(note, max_length=NOTE_MAX, multiline=True) or None
    existing = session.scalars(
        select(ProblemReport).where(
            col(ProblemReport.tandem_id) == mine.tandem.id,
            col(ProblemReport.reporter_role) == mine.side,
            col(ProblemReport.kind) == kind,
            col(ProblemReport.handled_at).is_(None),
        )
    ).first()
    if existing is not None:
        if text:
            joined = f"{existing.note}\n\n{text}" if existing.note else text
            existing.note = joined[:NOTE_MAX]
        existing.urgent = existing.urgent or urgent
        session.add(existing)
        row = existing
    else:
        row = ProblemReport(
            tandem_id=id_of(mine.tandem),
            reporter_role=mine.side,
            kind=kind,
            note=text,
            created_at=now,
            urgent=urgent,
        )
        session.add(row)
    session.flush()
    audit.write(
        session,
        now=now,
        actor=person,
        action="problem.reported",
        subject_type="problem_report",
        subject_id=row.id,
    )
    if urgent:
        problems.alert_coordinators(
            session, row, mine.tandem, base_url=base_url, locale=coordinator_locale, now=now
        )
    return row


def end_by_partner(
    session: Session,
    mine: MyTandem,
    person: Participant,
    *,
    reason: str,
    now: datetime,
    base_url: str,
) -> None:
    """A partner ends their own tandem; the other partner gets a kind e-mail, no reason."""
    lifecycle.end(session, mine.tandem, reason=reason, by=mine.side, now=now, actor=person)
    tandem = mine.tandem
    partner = tandem.newcomer if mine.side == "local" else tandem.local
    if partner is None:
        return
    reach.tell(
        session,
        partner,
        template="tandem_ended",
        context={
            "first_name": partner.first_name,
            "partner_name": person.first_name,
            "recipient_role": partner.role,
            "profile_link": f"{base_url}/me/new-link",
            **signature.for_tandem(session, tandem),
        },
        tandem_id=tandem.id,
        now=now,
    )
