"""Who may see what: coordinators see their own regions, admins see all."""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from web.core.models import Coordinator, CoordinatorRegion, Participant, Place, Region, Tandem


def region_ids_of(session: Session, coordinator: Coordinator) -> list[int] | None:
    """The regions a coordinator serves; ``None`` means every region (admins)."""
    if coordinator.is_admin:
        return None
    return list(
        session.scalars(
            select(col(CoordinatorRegion.region_id)).where(
                col(CoordinatorRegion.coordinator_id) == coordinator.id
            )
        )
    )


def visible_participants(session: Session, coordinator: Coordinator) -> Select:
    """Participants a coordinator may see, as a query to refine, order and page."""
    query = select(Participant).join(Place, col(Participant.place_id) == col(Place.id))
    region_ids = region_ids_of(session, coordinator)
    if region_ids is not None:
        query = query.where(col(Place.region_id).in_(region_ids))
    return query


def _regions_filter(
    session: Session, coordinator: Coordinator, column: Mapped[int] | Mapped[int | None]
) -> ColumnElement[bool] | None:
    region_ids = region_ids_of(session, coordinator)
    return None if region_ids is None else column.in_(region_ids)


def visible_regions(session: Session, coordinator: Coordinator) -> list[Region]:
    query = select(Region).order_by(col(Region.name))
    condition = _regions_filter(session, coordinator, col(Region.id))
    if condition is not None:
        query = query.where(condition)
    return list(session.scalars(query))


def get_region_for(session: Session, coordinator: Coordinator, slug: str) -> Region:
    """The region ``slug`` if the coordinator serves it; 404 otherwise (strangers learn nothing)."""
    region = session.scalars(select(Region).where(col(Region.slug) == slug)).first()
    region_ids = region_ids_of(session, coordinator)
    if region is None or (region_ids is not None and region.id not in region_ids):
        raise NotFoundException()
    return region


def get_participant_for(session: Session, coordinator: Coordinator, public_id: str) -> Participant:
    participant = session.scalars(
        visible_participants(session, coordinator).where(col(Participant.public_id) == public_id)
    ).first()
    if participant is None:
        raise NotFoundException()
    return participant


def get_tandem_for(session: Session, coordinator: Coordinator, public_id: str) -> Tandem:
    query = select(Tandem).where(col(Tandem.public_id) == public_id)
    condition = _regions_filter(session, coordinator, col(Tandem.region_id))
    if condition is not None:
        query = query.where(condition)
    tandem = session.scalars(query).first()
    if tandem is None:
        raise NotFoundException()
    return tandem
