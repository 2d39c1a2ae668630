""" "Something is wrong": a partner reports a problem or ends their own tandem.

A report lands, flagged, in the coordinator's queue with its tandem (unhandled
reports are those without ``handled_at``). A partner who ends the tandem gives
a reason — for the coordinator and the statistics only: the other partner is
told kindly, without it, in their own language.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from web.core import mail
from web.core.dates import local_date
from web.core.forms import clean_text
from web.core.models import Coordinator, Participant, ProblemReport, Tandem
from web.core.vocabulary import PROBLEM_KINDS
from web.tandems import lifecycle

NOTE_MAX = 1000
CURRENT_STATUSES = ("active", "paused")
# A partner's own page shows these; a proposal has its own answer page.
VISIBLE_STATUSES = ("active", "paused", "ended")


class ProblemError(Exception):
    code = "invalid"


class InvalidKind(ProblemError, ValueError):
    code = "kind"


class NotCurrent(ProblemError):
    """The tandem is no longer active or paused (ended meanwhile)."""

    code = "not_current"


class AlreadyHandled(ProblemError):
    code = "already_handled"


# --- the participant's side -------------------------------------------------------------------


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


def _mine(person: Participant):  # type: ignore[no-untyped-def]
    return or_(Tandem.local_id == person.id, Tandem.newcomer_id == person.id)


def _view(tandem: Tandem, person: Participant) -> MyTandem:
    side = "local" if tandem.local_id == person.id else "newcomer"
    partner = tandem.newcomer if side == "local" else tandem.local
    return MyTandem(tandem=tandem, side=side, partner_name=partner.first_name if partner else "")


def current_tandems(session: Session, person: Participant) -> list[MyTandem]:
    """The person's active or paused tandems (a local may have up to three)."""
    tandems = session.scalars(
        select(Tandem)
        .where(_mine(person), Tandem.status.in_(CURRENT_STATUSES))  # type: ignore[attr-defined]
        .order_by(Tandem.started_at, Tandem.id)
    ).all()
    return [_view(tandem, person) for tandem in tandems]


def my_tandem(session: Session, person: Participant, public_id: str) -> MyTandem | None:
    """One of the person's own tandems (active, paused or ended); None for anything else."""
    tandem = session.scalars(
        select(Tandem).where(
            Tandem.public_id == public_id,
            _mine(person),
            Tandem.status.in_(VISIBLE_STATUSES),  # type: ignore[attr-defined]
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
) -> ProblemReport:
    """File (or add to) the person's unhandled report of this kind on their tandem.

    One open report per kind and partner: a second one adds its note to the first,
    so the coordinator's queue shows one flag, not a pile of duplicates.
    """
    if kind not in PROBLEM_KINDS:
        raise InvalidKind(kind)
    session.refresh(mine.tandem)
    if not mine.is_current:
        raise NotCurrent
    text = clean_text(note, max_length=NOTE_MAX, multiline=True) or None
    existing = session.scalars(
        select(ProblemReport).where(
            ProblemReport.tandem_id == mine.tandem.id,
            ProblemReport.reporter_role == mine.side,
            ProblemReport.kind == kind,
            ProblemReport.handled_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if existing is not None:
        if text:
            joined = f"{existing.note}\n\n{text}" if existing.note else text
            existing.note = joined[:NOTE_MAX]
            session.add(existing)
        row = existing
    else:
        row = ProblemReport(
            tandem_id=mine.tandem.id,  # type: ignore[arg-type]
            reporter_role=mine.side,
            kind=kind,
            note=text,
            created_at=now,
        )
        session.add(row)
    session.flush()
    lifecycle.audit(
        session, person, "problem.reported", subject="problem_report", subject_id=row.id, now=now
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
    mail.enqueue(
        session,
        to_address=partner.email,
        locale=partner.locale,
        template="tandem_ended",
        context={
            "first_name": partner.first_name,
            "partner_name": person.first_name,
            "recipient_role": partner.role,
            "profile_link": f"{base_url}/me/new-link",
        },
        participant_id=partner.id,
        now=now,
    )


# --- the coordinator's side -------------------------------------------------------------------


def for_tandem(session: Session, tandem: Tandem) -> list[ProblemReport]:
    """Unhandled first, then newest first."""
    return list(
        session.scalars(
            select(ProblemReport)
            .where(ProblemReport.tandem_id == tandem.id)
            .order_by(
                ProblemReport.handled_at.is_not(None),  # type: ignore[union-attr]
                ProblemReport.created_at.desc(),  # type: ignore[attr-defined]
                ProblemReport.id.desc(),  # type: ignore[union-attr]
            )
        )
    )


def unhandled_counts(session: Session, tandem_ids: list[int]) -> dict[int, int]:
    """Unhandled reports per tandem, for a list page (one query)."""
    if not tandem_ids:
        return {}
    rows = session.execute(
        select(ProblemReport.tandem_id, func.count())
        .where(
            ProblemReport.tandem_id.in_(tandem_ids),  # type: ignore[attr-defined]
            ProblemReport.handled_at.is_(None),  # type: ignore[union-attr]
        )
        .group_by(ProblemReport.tandem_id)
    ).all()
    return {int(tandem_id): int(count) for tandem_id, count in rows}


def get_for_tandem(session: Session, tandem: Tandem, report_id: int) -> ProblemReport | None:
    row = session.get(ProblemReport, report_id)
    return row if row is not None and row.tandem_id == tandem.id else None


def mark_handled(
    session: Session, row: ProblemReport, *, coordinator: Coordinator, now: datetime
) -> None:
    """Compare-and-set: of two coordinators clicking at once, one records it."""
    claimed = session.execute(
        update(ProblemReport)
        .where(ProblemReport.id == row.id, ProblemReport.handled_at.is_(None))  # type: ignore[arg-type, union-attr]
        .values(handled_at=now, handled_by_id=coordinator.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyHandled
    lifecycle.audit(
        session,
        coordinator,
        "problem.handled",
        subject="problem_report",
        subject_id=row.id,
        now=now,
    )
