"""What would help the newcomers who wait: the engine run again with one rule relaxed.

Three relaxations, each on its own (never combined):

- ``level``: the minimum language level one step lower (B1 → A2);
- ``radius``: the maximum distance ``RADIUS_STEP_KM`` further;
- ``online``: everyone who did not tick "online meetings are fine" counted as if they had.

>>> from matching.whatif import what_if
>>> report = what_if({"today": "2026-05-01", "locals": [], "newcomers": []})
>>> [(r["relaxation"], r["more"]) for r in report["relaxations"]]
[('level', 0), ('radius', 0), ('online', 0)]

Plain data in (the instance dict), plain data out: the JSON-ready report below. The
``more`` of a relaxation is how many more newcomers the optimal assignment matches with
it than without it; ``newly_matched`` names the newcomers who wait today and would be
matched; for ``online``, ``concerned`` names the people (locals and newcomers) who would
have to meet online for it (a pair further apart than the radius, one of them not
having ticked it) — the people to ask.
"""

from __future__ import annotations

import copy
from typing import Any

from .instance import LEVELS, Settings, parse_instance
from .solve import Result, solve

RELAXATIONS = ("level", "radius", "online")
RADIUS_STEP_KM = 10.0


def lower_level(level: str) -> str | None:
    """One step below ``level`` ("B1" → "A2"); None below A1."""
    at = LEVELS.index(level)
    return LEVELS[at - 1] if at > 0 else None


def relaxed(instance: dict[str, Any], relaxation: str) -> tuple[dict[str, Any], Any] | None:
    """A copy of ``instance`` with ``relaxation`` applied, and the relaxed value (the new
    level, the new radius in km, or None for online); None when it cannot be relaxed."""
    settings = instance.get("settings") or {}
    base = Settings()
    out = copy.copy(instance)
    if relaxation == "level":
        level = lower_level(settings.get("min_level", base.min_level))
        if level is None:
            return None
        out["settings"] = {**settings, "min_level": level}
        return out, level
    if relaxation == "radius":
        km = float(settings.get("max_distance_km", base.max_distance_km)) + RADIUS_STEP_KM
        out["settings"] = {**settings, "max_distance_km": km}
        return out, km
    if relaxation == "online":
        for side in ("locals", "newcomers"):
            out[side] = [{**person, "online": True} for person in instance.get(side, [])]
        return out, None
    raise ValueError(f"unknown relaxation {relaxation!r}")


def _matched(result: Result) -> set[str]:
    return {pair.newcomer for pair in result.pairs}


def _met_online(result: Result) -> list[tuple[str, str]]:
    """The pairs that meet online only because of the relaxation (the ``online`` reason)."""
    return [
        (pair.local, pair.newcomer)
        for pair in result.pairs
        if any(reason["code"] == "online" for reason in pair.reasons)
    ]


def what_if(instance: dict[str, Any], *, baseline: Result | None = None) -> dict[str, Any]:
    """The report for ``instance`` (validated like ``solve``; raises ``InputError``)::

        {"baseline": {"pairs": 12, "unmatched": 30},
         "relaxations": [{"relaxation": "level", "value": "A2", "pairs": 29, "more": 17,
                          "newly_matched": ["N3", ...], "concerned": []}, ...]}

    ``baseline`` is the result of ``solve(instance)`` if the caller has it already.
    """
    parse_instance(instance)  # fail early, once, with the engine's message
    base = baseline if baseline is not None else solve(instance)
    before = _matched(base)
    waiting = {entry.newcomer for entry in base.unmatched}
    not_online = {
        person["id"]
        for side in ("locals", "newcomers")
        for person in instance.get(side, [])
        if not person.get("online", False)
    }
    report: dict[str, Any] = {
        "baseline": {"pairs": len(base.pairs), "unmatched": len(base.unmatched)},
        "relaxations": [],
    }
    for relaxation in RELAXATIONS:
        change = relaxed(instance, relaxation)
        if change is None:
            continue
        changed, value = change
        result = solve(changed)
        after = _matched(result)
        concerned: set[str] = set()
        if relaxation == "online":
            for local, newcomer in _met_online(result):
                concerned.update({local, newcomer} & not_online)
        report["relaxations"].append(
            {
                "relaxation": relaxation,
                "value": value,
                "pairs": len(result.pairs),
                "more": len(after) - len(before),
                "newly_matched": sorted(after & waiting),
                "concerned": sorted(concerned),
            }
        )
    return report
