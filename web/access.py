"""Who may see what: coordinators see their own regions, admins see all."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlmodel import Session

from web.models import Coordinator, CoordinatorRegion, Participant, Place


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
