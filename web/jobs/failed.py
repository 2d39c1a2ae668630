"""What the admins' page of failed jobs reads: the newest failed jobs. Only reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.models import FailedJob

PAGE_LIMIT = 200


def newest(session: Session) -> list[FailedJob]:
    """The failed jobs, newest first (at most ``PAGE_LIMIT``)."""
    return list(
        session.scalars(
            select(FailedJob)
            .order_by(col(FailedJob.failed_at).desc(), col(FailedJob.id).desc())
            .limit(PAGE_LIMIT)
        )
    )
