"""Structured reasons for pairs, and why newcomers wait (unmatched, gaps).

Reasons are codes with data, never prose, so the web layer can translate them.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from .arrays import RANK
from .instance import LEVELS, SLOTS, Local, Newcomer, Settings
from .rules import RULES

PRACTICE_MIN = "B1"  # a partner speaking at least this well helps practising


def area_of(person: Newcomer | Local) -> str:
    """The person's `area` if given, else a 0.1 degree cell such as "51.3,9.5"."""
    if person.area:
        return person.area
    return f"{round(person.lat, 1):.1f},{round(person.lon, 1):.1f}"


def _spoken(person, minimum: str) -> set[str]:
    floor = RANK[minimum]
    return {code for code, level in person.languages.items() if RANK[level] >= floor}


def pair_reasons(
    local: Local,
    newcomer: Newcomer,
    distance_km: float,
    settings: Settings,
    today,
    broken_rules: list[str],
    locked: bool,
) -> list[dict]:
    reasons: list[dict] = []
    if locked:
        reasons.append({"code": "locked"})
        if broken_rules:
            reasons.append({"code": "overrides", "items": broken_rules})
    common = sorted(_spoken(local, settings.min_level) & _spoken(newcomer, settings.min_level))
    if common:
        best = max(min(RANK[local.languages[c]], RANK[newcomer.languages[c]]) for c in common)
        reasons.append({"code": "common_language", "items": common, "level": LEVELS[best]})
    for learner, speaker, side in ((newcomer, local, "newcomer"), (local, newcomer, "local")):
        practice = sorted(learner.learning & _spoken(speaker, PRACTICE_MIN))
        if practice:
            reasons.append({"code": "practice_language", "items": practice, "for": side})
    interests = sorted(local.interests & newcomer.interests)
    if interests:
        reasons.append({"code": "shared_interests", "items": interests})
    offers = sorted(local.offers & newcomer.needs)
    if offers:
        reasons.append({"code": "offers_needs", "items": offers})
    slots = [s for s in SLOTS if s in local.slots and s in newcomer.slots]
    if slots:
        reasons.append({"code": "slots", "items": slots})
    reasons.append({"code": "distance_km", "value": round(float(distance_km), 1)})
    if local.online and newcomer.online and distance_km > settings.max_distance_km:
        reasons.append({"code": "online"})
    if newcomer.waiting_since is not None:
        days = max(0, (today - newcomer.waiting_since).days)
        reasons.append({"code": "waiting_days", "value": days})
    return reasons


def blocked_by(excluded: np.ndarray, feasible: int, eligible: int, free: int) -> str:
    """The single reason a newcomer waits (see README: unmatched)."""
    if feasible == 0:
        if excluded.max(initial=0) == 0:
            return "no_locals"
        return RULES[int(np.argmax(excluded))]  # ties: the earlier rule in RULES
    if eligible == 0:
        return "min_score"
    if free == 0:
        return "capacity"
    return "competition"


def gaps(unmatched: list[dict], newcomers_by_id: dict, settings: Settings) -> list[dict]:
    """Unmatched newcomers rolled up by area, blocking reason and the languages they speak."""
    groups: dict[tuple, list[Newcomer]] = defaultdict(list)
    for entry in unmatched:
        person = newcomers_by_id[entry["newcomer"]]
        languages = tuple(sorted(_spoken(person, settings.min_level)))
        groups[(entry["area"], entry["blocked_by"], languages)].append(person)
    out = []
    for (area, reason, languages), people in groups.items():
        slot_counts = Counter(s for p in people for s in p.slots)
        top = sorted(slot_counts.items(), key=lambda kv: (-kv[1], SLOTS.index(kv[0])))[:3]
        out.append(
            {
                "area": area,
                "blocked_by": reason,
                "languages": list(languages),
                "waiting": len(people),
                "slots": [[slot, count] for slot, count in top],
            }
        )
    out.sort(key=lambda g: (-g["waiting"], g["area"], g["blocked_by"], g["languages"]))
    return out
