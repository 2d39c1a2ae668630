"""Structured reasons for pairs, and why newcomers wait (unmatched, gaps).

Reasons are codes with data, never prose, so the web layer can translate them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import numpy as np

from .arrays import PRACTICE_LEVELS, RANK, SLOT_VOCABULARY, Encoded, Vocabulary
from .instance import LEVELS, SLOTS, Local, Newcomer, Person, Settings
from .rules import RULES

PRACTICE_MIN = "B1"  # a partner speaking at least this well helps practising
_PRACTICE_AT = [level for level, _ in PRACTICE_LEVELS].index(PRACTICE_MIN)  # Side.practice


def area_of(person: Newcomer | Local) -> str:
    """The person's `area` if given, else a 0.1 degree cell such as "51.3,9.5"."""
    if person.area:
        return person.area
    return f"{round(person.lat, 1):.1f},{round(person.lon, 1):.1f}"


def _spoken(person: Person, minimum: str) -> set[str]:
    floor = RANK[minimum]
    return {code for code, level in person.languages.items() if RANK[level] >= floor}


def _decoded(vocab: Vocabulary, masks: np.ndarray) -> list[list[str]]:
    """The keys of each row of `masks` (bit order: the vocabulary's order), decoding each
    distinct mask once."""
    if len(masks) == 0:
        return []
    rows = masks.reshape(len(masks), -1)
    if rows.shape[1] == 1:  # one word: a plain unique, ten times faster than axis=0
        distinct, inverse = np.unique(rows[:, 0], return_inverse=True)
        distinct = distinct[:, None]
    else:
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    keys = [vocab.items(row) for row in distinct]
    return [keys[i] for i in inverse.reshape(-1).tolist()]


def pairs_reasons(
    enc: Encoded,
    settings: Settings,
    today: date,
    pl: np.ndarray,
    pn: np.ndarray,
    distances: list[float],
    broken: dict[int, list[str]],
) -> list[list[dict]]:
    """The reasons of each pair (pl[i], pn[i]); `broken` holds the pinned rows (rules they break).

    Set intersections come from the encoded bit masks, vectorised over all pairs.
    """
    loc, new = enc.locals, enc.newcomers
    practice = loc.practice[_PRACTICE_AT], new.practice[_PRACTICE_AT]
    common = _decoded(enc.languages, loc.speaks[pl] & new.speaks[pn])
    practice_new = _decoded(enc.languages, new.learning[pn] & practice[0][pl])
    practice_loc = _decoded(enc.languages, loc.learning[pl] & practice[1][pn])
    interests = _decoded(enc.interests, loc.interests[pl] & new.interests[pn])
    offers = _decoded(enc.topics, loc.topics[pl] & new.topics[pn])
    slots = _decoded(SLOT_VOCABULARY, loc.slots[pl] & new.slots[pn])
    out = []
    rows = zip(pl.tolist(), pn.tolist(), distances, strict=True)
    for i, (li, ni, km) in enumerate(rows):
        local, newcomer = loc.people[li], new.people[ni]
        reasons: list[dict] = []
        if i in broken:
            reasons.append({"code": "pinned"})
            if broken[i]:
                reasons.append({"code": "overrides", "items": broken[i]})
        if common[i]:
            best = max(
                min(RANK[local.languages[c]], RANK[newcomer.languages[c]]) for c in common[i]
            )
            reasons.append(
                {"code": "common_language", "items": list(common[i]), "level": LEVELS[best]}
            )
        if practice_new[i]:
            reasons.append(
                {"code": "practice_language", "items": list(practice_new[i]), "for": "newcomer"}
            )
        if practice_loc[i]:
            reasons.append(
                {"code": "practice_language", "items": list(practice_loc[i]), "for": "local"}
            )
        if interests[i]:
            reasons.append({"code": "shared_interests", "items": list(interests[i])})
        if offers[i]:
            reasons.append({"code": "offers_needs", "items": list(offers[i])})
        if slots[i]:
            reasons.append({"code": "slots", "items": list(slots[i])})
        reasons.append({"code": "distance_km", "value": round(float(km), 1)})
        if local.online and newcomer.online and km > settings.max_distance_km:
            reasons.append({"code": "online"})
        if newcomer.waiting_since is not None:
            days = max(0, (today - newcomer.waiting_since).days)
            reasons.append({"code": "waiting_days", "value": days})
        out.append(reasons)
    return out


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
