"""Who may see what: coordinators see their own regions, admins see all."""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from sqlalchemy import Select, select
from sqlmodel import Session

from web.core.models import Coordinator, CoordinatorRegion, Participant, Place, Region, Tandem


def region_ids_of(session: Session, coordinator: Coordinator) -> list[int] | None:
    """The regions a coordinator serves; ``None`` means every region (admins)."""
    if coordinator.is_admin:
        return None
    return list(
        session.scalars(
            select(CoordinatorRegion.region_id).where(
                CoordinatorRegion.coordinator_id == coordinator.id
            )
        )
    )


def visible_participants(session: Session, coordinator: Coordinator) -> Select:  # type: ignore[type-arg]
    """Participants a coordinator may see, as a query to refine, order and page."""
    query = select(Participant).join(Place, Participant.place_id == Place.id)
    region_ids = region_ids_of(session, coordinator)
    if region_ids is not None:
        query = query.where(Place.region_id.in_(region_ids))  # type: ignore[union-attr]
    return query


def _regions_filter(session: Session, coordinator: Coordinator, column):  # type: ignore[no-untyped-def]
    region_ids = region_ids_of(session, coordinator)
    return None if region_ids is None else column.in_(region_ids)


def visible_regions(session: Session, coordinator: Coordinator) -> list[Region]:
    query = select(Region).order_by(Region.name)
    condition = _regions_filter(session, coordinator, Region.id)
    if condition is not None:
        query = query.where(condition)
    return list(session.scalars(query))


def get_region_for(session: Session, coordinator: Coordinator, slug: str) -> Region:
    """The region ``slug`` if the coordinator serves it; 404 otherwise (strangers learn nothing)."""
    region = session.scalars(select(Region).where(Region.slug == slug)).first()
    region_ids = region_ids_of(session, coordinator)
    if region is None or (region_ids is not None and region.id not in region_ids):
        raise NotFoundException()
    return region


def get_participant_for(session: Session, coordinator: Coordinator, public_id: str) -> Participant:
    participant = session.scalars(
        visible_participants(session, coordinator).where(Participant.public_id == public_id)
    ).first()
    if participant is None:
        raise NotFoundException()
    return participant


def get_tandem_for(session: Session, coordinator: Coordinator, public_id: str) -> Tandem:
    query = select(Tandem).where(Tandem.public_id == public_id)
    condition = _regions_filter(session, coordinator, Tandem.region_id)
    if condition is not None:
        query = query.where(condition)
    tandem = session.scalars(query).first()
    if tandem is None:
        raise NotFoundException()
    return tandem
