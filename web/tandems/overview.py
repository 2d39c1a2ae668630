"""What the coordinator's tandem pages read: the list (one page of rows) and a tandem's
check-ins. Only reads, in the coordinator's regions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core import paging
from web.core.access import region_ids_of, visible_regions
from web.core.models import CheckIn, Coordinator, Participant, Tandem
from web.core.sql import id_of, rel
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
    query = tandem_query(session, coordinator, status=status)
    shown = paging.page(page, total=paging.count(session, query), size=page_size)
    return tandem_rows_of(session, coordinator, shown.of(in_list_order(query))), shown


def tandem_query(session: Session, coordinator: Coordinator, *, status: str) -> Select:
    """The coordinator's tandems with ``status`` (a key of ``FILTERS``), unordered: the list
    pages it, the export (``web.exports``) writes all of it."""
    query = select(Tandem).where(col(Tandem.status).in_(FILTERS[status]))
    region_ids = region_ids_of(session, coordinator)
    if region_ids is not None:
        query = query.where(col(Tandem.region_id).in_(region_ids))
    return query


def in_list_order(query: Select) -> Select:
    """``query`` newest start first, both partners and their towns loaded."""
    return query.options(
        selectinload(rel(Tandem.local)).selectinload(rel(Participant.place)),
        selectinload(rel(Tandem.newcomer)).selectinload(rel(Participant.place)),
    ).order_by(col(Tandem.started_at).desc(), col(Tandem.id).desc())


def tandem_rows_of(session: Session, coordinator: Coordinator, query: Select) -> list[TandemRow]:
    """The rows of ``query``'s tandems: region name and unhandled problem reports."""
    tandems: Sequence[Tandem] = session.scalars(query).all()
    regions = {region.id: region.name for region in visible_regions(session, coordinator)}
    counts = problems.unhandled_counts(session, [id_of(t) for t in tandems])
    return [
        TandemRow(tandem=t, region=regions.get(t.region_id, ""), problems=counts.get(id_of(t), 0))
        for t in tandems
    ]


def checkins_of(session: Session, tandem: Tandem) -> Sequence[CheckIn]:
    """The tandem's check-ins, newest first (for the coordinator's tandem page only)."""
    return session.scalars(
        select(CheckIn)
        .where(col(CheckIn.tandem_id) == tandem.id)
        .order_by(col(CheckIn.sent_at).desc(), col(CheckIn.id).desc())
    ).all()
