"""How the programme signs its e-mails to participants (issue 15 §3): the name of the
coordinator who acted (else the region's contact person) and how to reach the programme
(the region's contact e-mail and phone). Templates include ``_signature.txt`` and the
HTML layout shows it when the context has ``signature``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from web.core import phones
from web.core.models import Coordinator, Participant, Region, Tandem


@dataclass(frozen=True)
class Signature:
    name: str  # the coordinator's name; "" when nobody is named
    region: str  # "Kassel"
    email: str
    phone: str  # national format ("0561 12345"), "" for none


def of(
    session: Session, *, region_id: int | None, coordinator: Coordinator | None = None
) -> dict[str, Any]:
    """``{"signature": Signature}`` for a mail's context ({"signature": None} without a
    region)."""
    region = session.get(Region, region_id) if region_id is not None else None
    if region is None:
        return {"signature": None}
    name = coordinator.display_name if coordinator is not None else (region.contact_name or "")
    return {
        "signature": Signature(
            name=name,
            region=region.name,
            email=region.contact_email or "",
            phone=phones.national(region.contact_phone),
        )
    }


def for_tandem(
    session: Session, tandem: Tandem, *, coordinator: Coordinator | None = None
) -> dict[str, Any]:
    """The signature of a mail about ``tandem``: the acting coordinator, else the one who
    confirmed the tandem, else the region's contact person."""
    if coordinator is None and tandem.decided_by_id is not None:
        coordinator = session.get(Coordinator, tandem.decided_by_id)
    if coordinator is not None and not coordinator.is_active:
        coordinator = None
    return of(session, region_id=tandem.region_id, coordinator=coordinator)


def for_person(
    session: Session, person: Participant, *, coordinator: Coordinator | None = None
) -> dict[str, Any]:
    """The signature of a mail about ``person`` (their region's)."""
    region_id = person.place.region_id if person.place is not None else None
    return of(session, region_id=region_id, coordinator=coordinator)
