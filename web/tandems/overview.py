"""What the coordinator's tandem pages read: the list (one page of rows) and a tandem's
check-ins. Only reads, in the coordinator's regions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlmodel import Session

from web.core import paging
from web.core.access import region_ids_of, visible_regions
from web.core.models import CheckIn, Coordinator, Participant, Tandem
from web.tandems import problems

# The list's filters: which statuses each shows.
FILTERS = {
    "current": ("active", "paused"),
    "active": ("active",),
    "paused": ("paused",),
    "ended": ("ended",),
    "all": ("active", "paused", "ended"),
}


@dataclass(frozen=True)
class TandemRow:
    tandem: Tandem
    region: str
    problems: int  # unhandled reports


def tandem_rows(
    session: Session, coordinator: Coordinator, *, status: str, page: object, page_size: int
) -> tuple[list[TandemRow], paging.Page]:
    """One page of the coordinator's tandems with ``status`` (a key of ``FILTERS``),
    newest start first, and that page."""
    query = select(Tandem).where(Tandem.status.in_(FILTERS[status]))  # type: ignore[attr-defined]
    region_ids = region_ids_of(session, coordinator)
    if region_ids is not None:
        query = query.where(Tandem.region_id.in_(region_ids))  # type: ignore[attr-defined]
    shown = paging.page(page, total=paging.count(session, query), size=page_size)
    tandems = session.scalars(
        shown.of(
            query.options(
                selectinload(Tandem.local).selectinload(Participant.place),  # type: ignore[arg-type]
                selectinload(Tandem.newcomer).selectinload(Participant.place),  # type: ignore[arg-type]
            ).order_by(Tandem.started_at.desc(), Tandem.id.desc())  # type: ignore[union-attr]
        )
    ).all()
    regions = {region.id: region.name for region in visible_regions(session, coordinator)}
    counts = problems.unhandled_counts(session, [t.id for t in tandems])  # type: ignore[misc]
    rows = [
        TandemRow(tandem=t, region=regions.get(t.region_id, ""), problems=counts.get(t.id, 0))  # type: ignore[arg-type]
        for t in tandems
    ]
    return rows, shown


def checkins_of(session: Session, tandem: Tandem) -> Sequence[CheckIn]:
    """The tandem's check-ins, newest first (for the coordinator's tandem page only)."""
    return session.scalars(
        select(CheckIn)
        .where(CheckIn.tandem_id == tandem.id)
        .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())  # type: ignore[attr-defined, union-attr]
    ).all()
