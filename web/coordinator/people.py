"""What the coordinator's participant pages read: one page of the list, a participant
with everything their page shows, and the tandems they were part of. Only reads, through
``web.core.access`` (a participant of another region is a 404)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from litestar.exceptions import NotFoundException
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col

from web.coordinator import standing
from web.core import paging
from web.core.access import visible_participants
from web.core.i18n import N_
from web.core.models import Coordinator, Participant, Place, Region, Tandem
from web.core.sql import rel
from web.core.vocabulary import ROLES

# Tandem states that have a page of their own (suggestions live on the region's page).
TANDEM_PAGE_STATUSES = ("proposed", "active", "paused", "ended")


@dataclass(frozen=True)
class ListFilters:
    """The participant list's filters, as its query parameters give them (checked)."""

    role: str
    status: str
    region: Region | None

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters again (for links: pages, export)."""
        values = {
            "role": self.role,
            "status": self.status,
            "region": self.region.slug if self.region else "",
        }
        return {name: value for name, value in values.items() if value}


def list_filters(
    regions: Sequence[Region], query: Mapping[str, str]
) -> tuple[ListFilters | None, str | None]:
    """The list's filters from its query parameters (the list's and the export's, so both show
    the same people), or None and the (translatable) error."""
    role, status, region = (query.get(name) or "" for name in ("role", "status", "region"))
    slugs = {r.slug: r for r in regions}
    if role and role not in ROLES:
        return None, N_("Unknown role.")
    if status and status not in standing.STANDINGS:
        return None, N_("Unknown status.")
    if region and region not in slugs:
        return None, N_("Unknown region.")
    return ListFilters(role=role, status=status, region=slugs[region] if region else None), None


def participant_query(
    session: Session,
    coordinator: Coordinator,
    *,
    role: str,
    status: str,
    region: Region | None,
) -> Select:
    """The participants the coordinator sees, filtered when a filter is set (``status`` is a
    standing, ``web.coordinator.standing.STANDINGS``), unordered: the list pages it, the
    export (``web.exports``) writes all of it — so both show the same people."""
    query = visible_participants(session, coordinator)
    if role:
        query = query.where(col(Participant.role) == role)
    if status in standing.STANDINGS:
        query = query.where(standing.condition(status))
    if region is not None:
        query = query.where(col(Place.region_id) == region.id)
    return query


def in_list_order(query: Select) -> Select:
    """``query`` in the list's order (role, waiting time), languages and town loaded."""
    return query.options(
        selectinload(rel(Participant.languages)), selectinload(rel(Participant.place))
    ).order_by(col(Participant.role), col(Participant.waiting_since), col(Participant.id))


def participant_rows(
    session: Session,
    coordinator: Coordinator,
    *,
    role: str,
    status: str,
    region: Region | None,
    page: object,
    page_size: int,
) -> tuple[Sequence[Participant], paging.Page]:
    """One page of ``participant_query``, by role and waiting time, and that page."""
    query = participant_query(session, coordinator, role=role, status=status, region=region)
    shown = paging.page(page, total=paging.count(session, query), size=page_size)
    participants = session.scalars(shown.of(in_list_order(query))).all()
    return participants, shown


@dataclass(frozen=True)
class TandemLine:
    public_id: str
    status: str
    partner: str  # the partner's first name, or "" if erased
    region: str
    since: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    has_page: bool


def tandems_of(session: Session, person: Participant) -> list[TandemLine]:
    """Every tandem the person was part of, newest first, with the partner's first name."""
    partner = aliased(Participant)
    partner_id = col(Tandem.newcomer_id) if person.role == "local" else col(Tandem.local_id)
    own_id = col(Tandem.local_id) if person.role == "local" else col(Tandem.newcomer_id)
    rows = session.execute(
        select(Tandem, col(partner.first_name), col(Region.name))
        .outerjoin(partner, partner_id == col(partner.id))
        .join(Region, col(Tandem.region_id) == col(Region.id))
        .where(own_id == person.id)
        .order_by(col(Tandem.created_at).desc(), col(Tandem.id).desc())
    ).all()
    return [
        TandemLine(
            public_id=tandem.public_id,
            status=tandem.status,
            partner=name or "",
            region=region,
            since=tandem.started_at or tandem.proposed_at or tandem.created_at,
            ended_at=tandem.ended_at,
            end_reason=tandem.end_reason,
            has_page=tandem.status in TANDEM_PAGE_STATUSES,
        )
        for tandem, name, region in rows
    ]


def person_with_details(session: Session, coordinator: Coordinator, public_id: str) -> Participant:
    person = session.scalars(
        visible_participants(session, coordinator)
        .where(col(Participant.public_id) == public_id)
        .options(
            selectinload(rel(Participant.languages)),
            selectinload(rel(Participant.place)).selectinload(rel(Place.region)),
            selectinload(rel(Participant.vetting)),
            selectinload(rel(Participant.consents)),
        )
    ).first()
    if person is None:
        raise NotFoundException()
    return person
