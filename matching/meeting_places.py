"""Where a new tandem could meet first: up to three meeting places, ranked, with reasons.

A pure function of plain data (no web, no database): the partners' positions and weekly
slots, the region's places with their opening slots, and whether the pair meets online.

Rules, in this order:

* a place qualifies only if it is open in a slot both partners have;
* an online pair gets virtual places (a video room) only, a pair meeting in person only
  places with an address;
* if either partner needs step-free access, only step-free places qualify;
* places are ranked by the least total distance to both partners, then by the longer of
  the two ways (fairer), then by more shared open slots, then by id (stable);
  virtual places by more shared open slots, then by id.

Reasons are codes with data, never prose, so that the web layer can translate them.

>>> a = Partner(lat=51.31, lon=9.49, slots=frozenset({"tue_evening", "sat_morning"}))
>>> b = Partner(lat=51.33, lon=9.50, slots=frozenset({"tue_evening"}))
>>> library = Place(id=7, lat=51.32, lon=9.49, slots=frozenset({"tue_evening"}))
>>> [(s.place_id, s.slots) for s in suggest_meeting_places(a, b, [library])]
[(7, ('tue_evening',))]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .instance import SLOTS

EARTH_RADIUS_KM = 6371.0088
MAX_SUGGESTIONS = 3
_SLOT_ORDER = {slot: index for index, slot in enumerate(SLOTS)}


@dataclass(frozen=True)
class Partner:
    """One partner of the pair: where they live and when they have time."""

    lat: float
    lon: float
    slots: frozenset[str]
    needs_step_free: bool = False


@dataclass(frozen=True)
class Place:
    """A meeting place; a virtual one (a video room) has no position."""

    id: int
    lat: float | None = None
    lon: float | None = None
    slots: frozenset[str] = frozenset()
    step_free: bool = False
    virtual: bool = False


@dataclass(frozen=True)
class Reason:
    """Why a place is suggested: ``code`` with its data (see the module's docstring)."""

    code: str  # "open", "distance", "step_free" or "online"
    data: dict[str, object] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Suggestion:
    place_id: int
    slots: tuple[str, ...]  # the slots both partners have and the place is open, week order
    distances_km: tuple[float, float] | None  # to partner a and b; None for a virtual place
    reasons: tuple[Reason, ...]

    @property
    def total_km(self) -> float | None:
        return None if self.distances_km is None else sum(self.distances_km)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def open_slots(a: Partner, b: Partner, place: Place) -> tuple[str, ...]:
    """The slots both partners have and the place is open, in week order."""
    shared = a.slots & b.slots & place.slots
    return tuple(sorted(shared, key=lambda slot: _SLOT_ORDER.get(slot, len(SLOTS))))


def qualifies(a: Partner, b: Partner, place: Place, *, online: bool) -> bool:
    if place.virtual != online:
        return False
    if not place.virtual and (place.lat is None or place.lon is None):
        return False
    if (a.needs_step_free or b.needs_step_free) and not place.step_free:
        return False
    return bool(open_slots(a, b, place))


def _distances(a: Partner, b: Partner, place: Place) -> tuple[float, float] | None:
    if place.virtual or place.lat is None or place.lon is None:
        return None
    return (distance_km(a.lat, a.lon, place.lat, place.lon),
            distance_km(b.lat, b.lon, place.lat, place.lon))  # fmt: skip


def rank_key(a: Partner, b: Partner, place: Place) -> tuple[float, float, int, int]:
    """Smaller is better: total distance, the longer way, fewer shared slots, id."""
    ways = _distances(a, b, place) or (0.0, 0.0)
    return (ways[0] + ways[1], max(ways), -len(open_slots(a, b, place)), place.id)


def _suggestion(a: Partner, b: Partner, place: Place) -> Suggestion:
    slots = open_slots(a, b, place)
    ways = _distances(a, b, place)
    reasons = [Reason("open", {"slots": list(slots)})]
    if ways is None:
        reasons.append(Reason("online"))
    else:
        reasons.append(Reason("distance", {"km": [round(ways[0], 1), round(ways[1], 1)]}))
    if place.step_free and (a.needs_step_free or b.needs_step_free):
        reasons.append(Reason("step_free"))
    return Suggestion(place.id, slots, ways, tuple(reasons))


def suggest_meeting_places(
    a: Partner,
    b: Partner,
    places: Sequence[Place],
    *,
    online: bool = False,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """Up to ``limit`` places for the pair (a, b), best first; empty if none qualifies."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    chosen = sorted(
        (place for place in places if qualifies(a, b, place, online=online)),
        key=lambda place: rank_key(a, b, place),
    )
    return [_suggestion(a, b, place) for place in chosen[:limit]]
