"""Problem reports on the coordinator's side: listed with their tandem, marked handled.

A partner files them from their own tandem page (``web.me.tandem``); unhandled
reports are those without ``handled_at``.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from web.core import audit
from web.core.models import Coordinator, ProblemReport, Tandem
from web.core.sql import rowcount


class ProblemError(Exception):
    code = "invalid"


class AlreadyHandled(ProblemError):
    code = "already_handled"


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


def mark_handled(
    session: Session, row: ProblemReport, *, coordinator: Coordinator, now: datetime
) -> None:
    """Compare-and-set: of two coordinators clicking at once, one records it."""
    claimed = session.execute(
        update(ProblemReport)
        .where(col(ProblemReport.id) == row.id, col(ProblemReport.handled_at).is_(None))
        .values(handled_at=now, handled_by_id=coordinator.id)
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
