"""The instance: people, settings and coordinator decisions, parsed and validated.

`parse_instance` turns the JSON-shaped dict into frozen dataclasses and raises
`InputError` with one line naming the person and field for anything it cannot
accept. Everything else in the engine may assume a valid `Instance`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMES = ("morning", "afternoon", "evening")
SLOTS = tuple(f"{day}_{time}" for day in DAYS for time in TIMES)
GENDERS = ("female", "male", "diverse")
OBJECTIVES = ("total_score", "coverage")
COMPONENTS = ("interests", "offers_needs", "availability", "nearness", "language", "waiting")
DEFAULT_WEIGHTS = {
    "interests": 0.25,
    "offers_needs": 0.15,
    "availability": 0.15,
    "nearness": 0.20,
    "language": 0.15,
    "waiting": 0.10,
}

_LANGUAGE_CODE = re.compile(r"[a-z]{2}")
_PERSON_KEYS = {
    "id",
    "languages",
    "learning",
    "interests",
    "slots",
    "lat",
    "lon",
    "online",
    "gender",
    "partner_genders",
    "birth_year",
    "area",
}
_REQUIRED_KEYS = frozenset({"languages", "slots", "lat", "lon"})
_LOCAL_KEYS = _PERSON_KEYS | {"offers", "capacity", "vetted"}
_NEWCOMER_KEYS = _PERSON_KEYS | {"needs", "waiting_since"}
_ALLOWED = {allowed: frozenset(allowed) for allowed in (SLOTS, GENDERS)}
_TOP_KEYS = {"today", "settings", "locals", "newcomers", "pinned", "forbidden"}
_SETTINGS_KEYS = {"min_level", "max_distance_km", "min_score", "objective", "weights"}


class InputError(ValueError):
    """An instance the engine cannot accept; the message is one line naming the field."""


@dataclass(frozen=True)
class Person:
    id: str
    languages: dict[str, str]
    slots: frozenset[str]
    lat: float
    lon: float
    learning: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    online: bool = False
    gender: str | None = None
    partner_genders: frozenset[str] = frozenset()
    birth_year: int | None = None
    area: str | None = None


@dataclass(frozen=True)
class Local(Person):
    offers: frozenset[str] = frozenset()
    capacity: int = 1
    vetted: bool = False


@dataclass(frozen=True)
class Newcomer(Person):
    needs: frozenset[str] = frozenset()
    waiting_since: date | None = None


@dataclass(frozen=True)
class Settings:
    min_level: str = "B1"
    max_distance_km: float = 25.0
    min_score: float = 0.0
    objective: str = "total_score"
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class Instance:
    today: date
    locals: tuple[Local, ...]
    newcomers: tuple[Newcomer, ...]
    settings: Settings = field(default_factory=Settings)
    pinned: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()


def _q(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Where:
    """Where a field sits, e.g. ``newcomers[17] (id "N17")``; formatted only on failure."""

    __slots__ = ("_prefix", "_pid")

    def __init__(self, prefix: str, pid: Any = None) -> None:
        self._prefix = prefix
        self._pid = pid

    @property
    def prefix(self) -> str:
        if self._pid is None:
            return self._prefix
        return f"{self._prefix} (id {_q(self._pid)})"

    def fail(self, fieldname: str, message: str) -> InputError:
        where = f"{self.prefix}: {fieldname}" if fieldname else self.prefix
        return InputError(f"{where}: {message}".replace("\n", " "))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(where: _Where, name: str, value: Any, low: float, high: float) -> float:
    if not _is_number(value):
        raise where.fail(name, f"{_q(value)} is not a number")
    if not low <= value <= high:
        raise where.fail(name, f"{_q(value)} is not between {low:g} and {high:g}")
    return float(value)


def _integer(where: _Where, name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.fail(name, f"{_q(value)} is not a whole number")
    if not low <= value <= high:
        raise where.fail(name, f"{_q(value)} is not between {low} and {high}")
    return value


def _boolean(where: _Where, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.fail(name, f"{_q(value)} is not true or false")
    return value


def _date(where: _Where, name: str, value: Any) -> date:
    if not isinstance(value, str):
        raise where.fail(name, f"{_q(value)} is not a date (YYYY-MM-DD)")
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise where.fail(name, f"{_q(value)} is not a date (YYYY-MM-DD)") from None


def _strings(where: _Where, name: str, value: Any, allowed: tuple[str, ...] = ()) -> frozenset:
    # The common, valid case first (join fails unless every item is a string); the
    # checks below find and name any error.
    if type(value) is list and "" not in value:
        try:
            "".join(value)
        except TypeError:
            pass
        else:
            out = frozenset(value)
            if not allowed or out <= (_ALLOWED.get(allowed) or frozenset(allowed)):
                return out
    if not isinstance(value, list):
        raise where.fail(name, f"{_q(value)} is not a list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise where.fail(f"{name}[{i}]", f"{_q(item)} is not a non-empty string")
        if allowed and item not in allowed:
            raise where.fail(f"{name}[{i}]", f"{_q(item)} is not one of ({' '.join(allowed)})")
    return frozenset(value)


def _languages(where: _Where, name: str, value: Any, *, levels: bool) -> Any:
    if levels:
        if not isinstance(value, dict):
            raise where.fail(name, f"{_q(value)} is not an object of language: level")
        for code, level in value.items():
            if not _LANGUAGE_CODE.fullmatch(code):
                raise where.fail(
                    f"{name}.{code}", f"{_q(code)} is not an ISO 639-1 code (two letters a-z)"
                )
            if level not in LEVELS:
                raise where.fail(
                    f"{name}.{code}", f"{_q(level)} is not a level ({' '.join(LEVELS)})"
                )
        return dict(value)
    codes = _strings(where, name, value)
    for i, code in enumerate(value):
        if not _LANGUAGE_CODE.fullmatch(code):
            raise where.fail(
                f"{name}[{i}]", f"{_q(code)} is not an ISO 639-1 code (two letters a-z)"
            )
    return codes


def _person(side: str, index: int, raw: Any) -> Local | Newcomer:
    where = _Where(f"{side}[{index}]")
    if not isinstance(raw, dict):
        raise where.fail("", f"{_q(raw)} is not an object")
    if "id" not in raw:
        raise where.fail("id", "missing")
    pid = raw["id"]
    if not isinstance(pid, str) or not pid:
        raise where.fail("id", f"{_q(pid)} is not a non-empty string")
    where = _Where(f"{side}[{index}]", pid)
    allowed = _LOCAL_KEYS if side == "locals" else _NEWCOMER_KEYS
    if not allowed.issuperset(raw):
        for key in sorted(raw):
            if key not in allowed:
                raise where.fail(key, f"unknown key (allowed: {' '.join(sorted(allowed))})")
    if not _REQUIRED_KEYS.issubset(raw):
        for key in ("languages", "slots", "lat", "lon"):
            if key not in raw:
                raise where.fail(key, "missing")
    gender = raw.get("gender")
    if gender is not None and gender not in GENDERS:
        raise where.fail("gender", f"{_q(gender)} is not one of ({' '.join(GENDERS)}) or null")
    birth_year = raw.get("birth_year")
    if birth_year is not None:
        birth_year = _integer(where, "birth_year", birth_year, 1900, 2200)
    area = raw.get("area")
    if area is not None and (not isinstance(area, str) or not area):
        raise where.fail("area", f"{_q(area)} is not a non-empty string or null")
    common = {
        "id": pid,
        "languages": _languages(where, "languages", raw["languages"], levels=True),
        "slots": _strings(where, "slots", raw["slots"], SLOTS),
        "lat": _number(where, "lat", raw["lat"], -90, 90),
        "lon": _number(where, "lon", raw["lon"], -180, 180),
        "learning": _languages(where, "learning", raw.get("learning", []), levels=False),
        "interests": _strings(where, "interests", raw.get("interests", [])),
        "online": _boolean(where, "online", raw.get("online", False)),
        "gender": gender,
        "partner_genders": _strings(
            where, "partner_genders", raw.get("partner_genders", []), GENDERS
        ),
        "birth_year": birth_year,
        "area": area,
    }
    if side == "locals":
        return Local(
            **common,
            offers=_strings(where, "offers", raw.get("offers", [])),
            capacity=_integer(where, "capacity", raw.get("capacity", 1), 0, 1000),
            vetted=_boolean(where, "vetted", raw.get("vetted", False)),
        )
    waiting = raw.get("waiting_since")
    return Newcomer(
        **common,
        needs=_strings(where, "needs", raw.get("needs", [])),
        waiting_since=None if waiting is None else _date(where, "waiting_since", waiting),
    )


def _settings(raw: Any) -> Settings:
    where = _Where("settings")
    if not isinstance(raw, dict):
        raise InputError(f"settings: {_q(raw)} is not an object")
    for key in sorted(raw):
        if key not in _SETTINGS_KEYS:
            raise where.fail(key, f"unknown key (allowed: {' '.join(sorted(_SETTINGS_KEYS))})")
    min_level = raw.get("min_level", "B1")
    if min_level not in LEVELS:
        raise where.fail("min_level", f"{_q(min_level)} is not a level ({' '.join(LEVELS)})")
    objective = raw.get("objective", "total_score")
    if objective not in OBJECTIVES:
        raise where.fail("objective", f"{_q(objective)} is not one of ({' '.join(OBJECTIVES)})")
    weights = dict(DEFAULT_WEIGHTS)
    raw_weights = raw.get("weights", {})
    if not isinstance(raw_weights, dict):
        raise where.fail("weights", f"{_q(raw_weights)} is not an object of component: weight")
    for name, value in raw_weights.items():
        if name not in COMPONENTS:
            raise where.fail(f"weights.{name}", f"unknown component ({' '.join(COMPONENTS)})")
        weights[name] = _number(where, f"weights.{name}", value, 0, 1e6)
    if sum(weights.values()) <= 0:
        raise where.fail("weights", "at least one weight must be above 0")
    return Settings(
        min_level=min_level,
        max_distance_km=_number(where, "max_distance_km", raw.get("max_distance_km", 25), 0, 40100),
        min_score=_number(where, "min_score", raw.get("min_score", 0), 0, 1),
        objective=objective,
        weights=weights,
    )


def _pairs(name: str, raw: Any, local_ids: dict, newcomer_ids: dict) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        raise InputError(f"{name}: {_q(raw)} is not a list of [local_id, newcomer_id]")
    pairs = []
    for i, pair in enumerate(raw):
        ok = isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        if not ok:
            raise InputError(f"{name}[{i}]: {_q(pair)} is not a pair [local_id, newcomer_id]")
        local_id, newcomer_id = pair
        if local_id not in local_ids:
            raise InputError(f"{name}[{i}]: local {_q(local_id)} does not exist")
        if newcomer_id not in newcomer_ids:
            raise InputError(f"{name}[{i}]: newcomer {_q(newcomer_id)} does not exist")
        pairs.append((local_id, newcomer_id))
    return tuple(pairs)


def parse_instance(raw: Any) -> Instance:
    """Validate a JSON-shaped instance and return it as an `Instance`.

    Raises `InputError` with a one-line message such as
    ``newcomers[17] (id "N17"): languages.en: "B3" is not a level (...)``.
    """
    if isinstance(raw, Instance):
        return raw
    if not isinstance(raw, dict):
        raise InputError(f"instance: {_q(raw)} is not an object")
    for key in sorted(raw):
        if key not in _TOP_KEYS:
            raise InputError(f"{key}: unknown key (allowed: {' '.join(sorted(_TOP_KEYS))})")
    if "today" not in raw:
        raise InputError("today: missing")
    if not isinstance(raw["today"], str) or len(raw["today"]) != 10:
        raise InputError(f"today: {_q(raw['today'])} is not a date (YYYY-MM-DD)")
    try:
        today = date.fromisoformat(raw["today"])
    except ValueError:
        raise InputError(f"today: {_q(raw['today'])} is not a date (YYYY-MM-DD)") from None
    settings = _settings(raw.get("settings", {}))
    sides: dict[str, Any] = {}
    for side in ("locals", "newcomers"):
        people = raw.get(side, [])
        if not isinstance(people, list):
            raise InputError(f"{side}: {_q(people)} is not a list")
        parsed = [_person(side, i, person) for i, person in enumerate(people)]
        seen: dict[str, int] = {}
        for i, person in enumerate(parsed):
            if person.id in seen:
                raise InputError(
                    f"{side}[{i}] (id {_q(person.id)}): id: duplicate of {side}[{seen[person.id]}]"
                )
            seen[person.id] = i
        sides[side] = (tuple(parsed), seen)
    local_list, local_ids = sides["locals"]
    newcomer_list, newcomer_ids = sides["newcomers"]
    pinned = _pairs("pinned", raw.get("pinned", []), local_ids, newcomer_ids)
    forbidden = _pairs("forbidden", raw.get("forbidden", []), local_ids, newcomer_ids)
    _check_pins(pinned, local_list, local_ids, newcomer_ids)
    return Instance(
        today=today,
        locals=local_list,
        newcomers=newcomer_list,
        settings=settings,
        pinned=pinned,
        forbidden=forbidden,
    )


def _check_pins(
    pinned: tuple[tuple[str, str], ...],
    local_list: list[Local],
    local_ids: dict[str, int],
    newcomer_ids: dict[str, int],
) -> None:
    by_newcomer: dict[str, list[int]] = {}
    by_local: dict[str, list[int]] = {}
    for i, (local_id, newcomer_id) in enumerate(pinned):
        by_newcomer.setdefault(newcomer_id, []).append(i)
        by_local.setdefault(local_id, []).append(i)
    for newcomer_id, rows in by_newcomer.items():
        if len(rows) > 1:
            listed = ", ".join(f"pinned[{i}]" for i in rows)
            raise InputError(
                f"newcomers[{newcomer_ids[newcomer_id]}] (id {_q(newcomer_id)}): "
                f"pinned more than once ({listed})"
            )
    for local_id, rows in by_local.items():
        index = local_ids[local_id]
        capacity = local_list[index].capacity
        if len(rows) > capacity:
            listed = ", ".join(f"pinned[{i}]" for i in rows)
            raise InputError(
                f"locals[{index}] (id {_q(local_id)}): capacity: {capacity} "
                f"but {len(rows)} pinned pairs ({listed})"
            )
