"""Meeting places: a region's libraries, cafés, community centres and video rooms.

Coordinators keep them (the form below); the first-meeting suggestion
(``matching.meeting_places``) ranks them for a pair. A place is archived, never deleted, so
that what once referred to it keeps it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from web.core import audit
from web.core.forms import TOO_LONG, clean_text, single, values
from web.core.geo import distance_km
from web.core.i18n import N_
from web.core.models import Coordinator, MeetingPlace, Place, Region, utcnow
from web.core.place_names import gazetteer_name, spelled_alike
from web.core.sql import id_of
from web.core.vocabulary import DESCRIPTION_LANGUAGES, LANGUAGES, MEETING_PLACE_KINDS, SLOTS

NAME_MAX, STREET_MAX, URL_MAX, DESCRIPTION_MAX = 120, 120, 300, 1000
# A corrected position may lie this far from the town's centre (a village's outskirts).
MAX_CORRECTION_KM = 15.0
_URL = re.compile(r"https://[^\s<>\"']+")


@dataclass
class PlaceForm:
    """What the coordinator typed (kept on errors), and the errors per field."""

    name: str = ""
    kind: str = "library"
    street: str = ""
    town: str = ""
    lat: str = ""
    lon: str = ""
    video_url: str = ""
    slots: list[str] = field(default_factory=list)
    step_free: bool = False
    costs: bool = False
    staff_languages: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Parsed values, set when the form is valid.
    town_place: Place | None = None
    position: tuple[float, float] | None = None


def form_for(place: MeetingPlace) -> PlaceForm:
    return PlaceForm(
        name=place.name,
        kind=place.kind,
        street=place.street or "",
        town=place.town.name if place.town is not None else "",
        lat="" if place.lat is None else f"{place.lat:.5f}",
        lon="" if place.lon is None else f"{place.lon:.5f}",
        video_url=place.video_url or "",
        slots=list(place.slots),
        step_free=place.step_free,
        costs=place.costs,
        staff_languages=list(place.staff_languages),
        descriptions=dict(place.descriptions),
    )


def region_towns(session: Session, region: Region) -> list[Place]:
    return list(
        session.scalars(
            select(Place).where(col(Place.region_id) == region.id).order_by(col(Place.name))
        )
    )


def _town(session: Session, region: Region, typed: str) -> Place | None:
    towns = {town.name: town for town in region_towns(session, region)}
    name = typed if typed in towns else spelled_alike(typed, towns)
    if name is None:
        name = gazetteer_name(typed)
    return towns.get(name) if name else None


def _coordinate(text: str, limit: float) -> float | None:
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def parse_place_form(session: Session, region: Region, data: dict[str, Any]) -> PlaceForm:
    """Check every field; ``form.errors`` is empty when the form is valid."""
    form = PlaceForm(
        name=clean_text(single(data, "name"), max_length=None),
        kind=single(data, "kind"),
        street=clean_text(single(data, "street"), max_length=None),
        town=clean_text(single(data, "town"), max_length=None),
        lat=clean_text(single(data, "lat"), max_length=40),
        lon=clean_text(single(data, "lon"), max_length=40),
        video_url=clean_text(single(data, "video_url"), max_length=None),
        slots=[slot for slot in SLOTS if slot in values(data, "slots")],
        step_free=single(data, "step_free") == "yes",
        costs=single(data, "costs") == "yes",
        staff_languages=[code for code in LANGUAGES if code in values(data, "staff_languages")],
        descriptions={
            code: clean_text(single(data, f"description_{code}"), max_length=None, multiline=True)
            for code in DESCRIPTION_LANGUAGES
        },
    )
    errors = form.errors
    if not form.name:
        errors["name"] = N_("Please enter the name of the place.")
    elif len(form.name) > NAME_MAX:
        errors["name"] = TOO_LONG
    if form.kind not in MEETING_PLACE_KINDS:
        errors["kind"] = N_("Please choose what kind of place it is.")
        form.kind = "library"
    if form.kind == "online":
        if not _URL.fullmatch(form.video_url) or len(form.video_url) > URL_MAX:
            errors["video_url"] = N_(
                "Please enter the link to the video-call room, starting with https://."
            )
    else:
        _parse_address(session, region, form)
        if not form.slots:
            errors["slots"] = N_("Please tick at least one time when the place is open.")
    for code, text in form.descriptions.items():
        if len(text) > DESCRIPTION_MAX:
            errors[f"description_{code}"] = TOO_LONG
    if not form.descriptions["de"]:
        errors["description_de"] = N_("Please describe the place in German.")
    return form


def _parse_address(session: Session, region: Region, form: PlaceForm) -> None:
    errors = form.errors
    if not form.street:
        errors["street"] = N_("Please enter the street and house number.")
    elif len(form.street) > STREET_MAX:
        errors["street"] = TOO_LONG
    town = _town(session, region, form.town) if form.town else None
    if town is None:
        errors["town"] = N_("Please enter a town or village of this region.")
        return
    form.town, form.town_place = town.name, town
    if not form.lat and not form.lon:
        form.position = (town.lat, town.lon)
        return
    lat, lon = _coordinate(form.lat, 90), _coordinate(form.lon, 180)
    if lat is None or lon is None:
        errors["position"] = N_(
            "Please enter latitude and longitude as decimal numbers, for example 51.3155 "
            "and 9.4979, or leave both empty."
        )
    elif float(distance_km(lat, lon, town.lat, town.lon)) > MAX_CORRECTION_KM:
        errors["position"] = N_("This position is too far from the town. Please check it.")
    else:
        form.position = (lat, lon)


def save_place(
    session: Session,
    region: Region,
    form: PlaceForm,
    *,
    coordinator: Coordinator,
    place: MeetingPlace | None = None,
) -> MeetingPlace:
    """Create (``place`` None) or update a place from a valid form."""
    created = place is None
    place = place or MeetingPlace(region_id=id_of(region), name=form.name, kind=form.kind)
    place.name, place.kind = form.name, form.kind
    virtual = form.kind == "online"
    place.video_url = form.video_url if virtual else None
    place.street = None if virtual else form.street
    place.town_id = None if virtual or form.town_place is None else form.town_place.id
    place.lat, place.lon = (None, None) if virtual or form.position is None else form.position
    place.slots = list(form.slots)
    place.step_free, place.costs = form.step_free, form.costs
    place.staff_languages = list(form.staff_languages)
    place.descriptions = {code: text for code, text in form.descriptions.items() if text}
    place.updated_at = utcnow()
    session.add(place)
    session.flush()
    audit.write(session, now=utcnow(), actor=coordinator,
                 action="meeting_place.created" if created else "meeting_place.changed",
                 subject_type="meeting_place", subject_id=place.id)  # fmt: skip
    return place


def set_archived(
    session: Session, place: MeetingPlace, *, archived: bool, coordinator: Coordinator
) -> None:
    place.archived_at = utcnow() if archived else None
    place.updated_at = utcnow()
    session.add(place)
    audit.write(session, now=utcnow(), actor=coordinator,
                 action="meeting_place.archived" if archived else "meeting_place.restored",
                 subject_type="meeting_place", subject_id=place.id)  # fmt: skip


def places_of(
    session: Session, region_ids: list[int] | None, *, archived: bool = False
) -> list[MeetingPlace]:
    """The places of the given regions (None: every region), by name."""
    query = select(MeetingPlace).order_by(col(MeetingPlace.name), col(MeetingPlace.id))
    if region_ids is not None:
        query = query.where(col(MeetingPlace.region_id).in_(region_ids))
    column = col(MeetingPlace.archived_at)
    shown = column.is_not(None) if archived else column.is_(None)
    return list(session.scalars(query.where(shown)))
