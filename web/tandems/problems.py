"""Problem reports on the coordinator's side: listed with their tandem, marked handled.

A partner files them from their own tandem page (``web.me.tandem``); unhandled
reports are those without ``handled_at``.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from web.core import audit, mail
from web.core.forms import clean_text
from web.core.models import Coordinator, CoordinatorRegion, ProblemReport, Region, Tandem
from web.core.sql import rowcount

HANDLED_NOTE_MAX = 1000


class ProblemError(Exception):
    code = "invalid"


class AlreadyHandled(ProblemError):
    code = "already_handled"


class NoteMissing(ProblemError):
    """ "Mark as handled" says what was done (issue 15 §5)."""

    code = "handled_note"


def for_tandem(session: Session, tandem: Tandem) -> list[ProblemReport]:
    """Unhandled first, then newest first."""
    return list(
        session.scalars(
            select(ProblemReport)
            .where(col(ProblemReport.tandem_id) == tandem.id)
            .order_by(
                col(ProblemReport.handled_at).is_not(None),
                col(ProblemReport.created_at).desc(),
                col(ProblemReport.id).desc(),
            )
        )
    )


def unhandled_counts(session: Session, tandem_ids: list[int]) -> dict[int, int]:
    """Unhandled reports per tandem, for a list page (one query)."""
    if not tandem_ids:
        return {}
    rows = session.execute(
        select(col(ProblemReport.tandem_id), func.count())
        .where(
            col(ProblemReport.tandem_id).in_(tandem_ids),
            col(ProblemReport.handled_at).is_(None),
        )
        .group_by(col(ProblemReport.tandem_id))
    ).all()
    return {int(tandem_id): int(count) for tandem_id, count in rows}


def get_for_tandem(session: Session, tandem: Tandem, report_id: int) -> ProblemReport | None:
    row = session.get(ProblemReport, report_id)
    return row if row is not None and row.tandem_id == tandem.id else None


def parse_note(value: object) -> str:
    """What the coordinator did, cleaned; ``NoteMissing`` when they wrote nothing."""
    note = clean_text(value, max_length=HANDLED_NOTE_MAX, multiline=True)
    if not note:
        raise NoteMissing
    return note


def mark_handled(
    session: Session, row: ProblemReport, *, coordinator: Coordinator, note: str, now: datetime
) -> None:
    """Record what was done (required). Compare-and-set: of two coordinators clicking at
    once, one records it. The note may name people: it is erased with either partner."""
    note = parse_note(note)
    claimed = session.execute(
        update(ProblemReport)
        .where(col(ProblemReport.id) == row.id, col(ProblemReport.handled_at).is_(None))
        .values(handled_at=now, handled_by_id=coordinator.id, handled_note=note)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if rowcount(claimed) != 1:
        raise AlreadyHandled
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="problem.handled",
        subject_type="problem_report",
        subject_id=row.id,
    )


def alert_coordinators(
    session: Session,
    row: ProblemReport,
    tandem: Tandem,
    *,
    base_url: str,
    locale: str,
    now: datetime,
) -> int:
    """E-mail every active coordinator of the tandem's region at once about an urgent
    report (the admins when the region has none); returns how many were written to.

    The e-mail names no one and quotes nothing: a link to the tandem's page, behind the
    login, is all it carries. It goes out through the job queue as soon as the report's
    transaction commits (``mail.enqueue``)."""
    coordinators = list(
        session.scalars(
            select(Coordinator)
            .join(CoordinatorRegion, col(CoordinatorRegion.coordinator_id) == col(Coordinator.id))
            .where(
                col(CoordinatorRegion.region_id) == tandem.region_id,
                col(Coordinator.is_active).is_(True),
            )
            .order_by(col(Coordinator.id))
        )
    )
    if not coordinators:
        coordinators = list(
            session.scalars(
                select(Coordinator)
                .where(col(Coordinator.role) == "admin", col(Coordinator.is_active).is_(True))
                .order_by(col(Coordinator.id))
            )
        )
    region = session.get(Region, tandem.region_id)
    for coordinator in coordinators:
        mail.enqueue(
            session,
            to_address=coordinator.email,
            locale=locale,
            template="urgent_report",
            context={
                "name": coordinator.display_name,
                "region": region.name if region else "",
                "url": f"{base_url}/coordinator/",
            },
            now=now,
        )
    audit.write(
        session,
        now=now,
        actor=None,
        action="problem.urgent_alert",
        subject_type="problem_report",
        subject_id=row.id,
    )
    return len(coordinators)
