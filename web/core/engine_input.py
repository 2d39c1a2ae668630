"""Database rows → the matching engine's input records (see matching/README.md).

The only place that knows both shapes: the engine never sees the database,
and the web layer never builds engine dictionaries by hand elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from web.core.models import Participant, Place, Region


def person_record(person: Participant, place: Place) -> dict[str, Any]:
    """One person as the engine reads them; ids are the participants' public ids."""
    record: dict[str, Any] = {
        "id": person.public_id,
        "languages": {spoken.language: spoken.level for spoken in person.languages},
        "learning": list(person.learning),
        "interests": list(person.interests),
        "slots": list(person.slots),
        "lat": place.lat,
        "lon": place.lon,
        "online": person.online_ok,
        "gender": person.gender,
        "partner_genders": list(person.partner_genders),
        "birth_year": person.birth_year,
        "area": place.name,
    }
    if person.role == "local":
        record["offers"] = list(person.help_topics)
        record["capacity"] = max(0, person.capacity - person.open_tandems)
        record["vetted"] = person.vetting is not None
    else:
        record["needs"] = list(person.help_topics)
        if person.waiting_since is not None:
            record["waiting_since"] = person.waiting_since.isoformat()
    return record


def region_settings(region: Region, weights: dict[str, float] | None = None) -> dict[str, Any]:
    """The engine settings of a region; ``weights`` overrides the stored ones (previews)."""
    chosen = region.weights if weights is None else weights
    settings: dict[str, Any] = {
        "min_level": region.min_level,
        "max_distance_km": region.max_distance_km,
    }
    if chosen:
        settings["weights"] = dict(chosen)
    return settings


def instance(
    *,
    today: date,
    region: Region,
    locals_: list[tuple[Participant, Place]],
    newcomers: list[tuple[Participant, Place]],
    pinned: Sequence[tuple[str, str]] = (),
    forbidden: Sequence[tuple[str, str]] = (),
    weights: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "today": today.isoformat(),
        "settings": region_settings(region, weights),
        "locals": [person_record(person, place) for person, place in locals_],
        "newcomers": [person_record(person, place) for person, place in newcomers],
        "pinned": [list(pair) for pair in pinned],
        "forbidden": [list(pair) for pair in forbidden],
    }
