"""Recruiting gaps as a picture: per town, the newcomers still waiting after the last run
and the local places still free, drawn on a map of the region (server-side SVG from the
gazetteer's coordinates: no tiles, nothing from another host), and the gaps grouped by
language and by place instead of one row per group of people.

The waiting newcomers come from the run's gaps (``run.stats["gaps"]``: area, the languages
they speak at the minimum level, how many); the free places from the region's active
locals: their capacity less open tandems and the run's suggestions.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session, col

from web.core.models import MatchingRun, Participant, Place, Region, Tandem

# German is what every local speaks: a newcomer who speaks it well enough waits for
# another reason, so it is not counted as a language to recruit for.
COMMON_LANGUAGE = "de"
MAP_WIDTH = 640
MAP_PAD = 56  # room for the labels at the edges
MIN_HEIGHT, MAX_HEIGHT = 320, 720
# The legend's box (x, y, width, height), top left, kept free of labels; for right-to-left
# pages it stands top right (LEGEND_RTL).
LEGEND = (0.0, 0.0, 210.0, 52.0)
LEGEND_RTL = (MAP_WIDTH - 210.0, 0.0, 210.0, 52.0)
CHAR_WIDTH, LINE_HEIGHT = 6.6, 14.0  # a label's size at font-size 12, roughly


@dataclass
class Town:
    name: str
    lat: float
    lon: float
    waiting: int = 0
    free: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    slots: Counter[str] = field(default_factory=Counter)
    x: float = 0.0
    y: float = 0.0
    labelled: bool = False  # towns where someone waits get their name and numbers written
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "middle"

    @property
    def label(self) -> str:
        return f"{self.name} {self.waiting} · {self.free}"

    @property
    def waiting_r(self) -> float:
        return 4 + 3 * math.sqrt(self.waiting) if self.waiting else 0.0

    @property
    def free_r(self) -> float:
        return 3 + 2.5 * math.sqrt(self.free) if self.free else 0.0

    def top_languages(self, n: int = 3) -> list[tuple[str, int]]:
        return self.languages.most_common(n)

    def top_slots(self, n: int = 3) -> list[tuple[str, int]]:
        return self.slots.most_common(n)


@dataclass
class LanguageNeed:
    language: str
    waiting: int
    areas: list[tuple[str, int]]


@dataclass
class Picture:
    towns: list[Town]  # every town with someone waiting or a free place, most waiting first
    languages: list[LanguageNeed]  # most waiting first
    only_german: int  # waiting newcomers who speak German (and nothing else) well enough
    no_language: int  # waiting newcomers who speak no language at the minimum level
    waiting: int
    free: int
    width: int = MAP_WIDTH
    height: int = MIN_HEIGHT


def _free_places(session: Session, region: Region) -> dict[str, int]:
    """Per town name: the places the region's active locals have left after their open
    tandems and this run's suggestions (two queries)."""
    suggested = dict(
        session.execute(
            select(col(Tandem.local_id), func.count())
            .where(col(Tandem.region_id) == region.id, col(Tandem.status) == "suggested")
            .group_by(col(Tandem.local_id))
        ).all()
    )
    rows = session.execute(
        select(
            col(Participant.id),
            col(Participant.capacity),
            col(Participant.open_tandems),
            col(Place.name),
        )
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Place.region_id) == region.id,
            col(Participant.role) == "local",
            col(Participant.status) == "active",
        )
    ).all()
    free: dict[str, int] = defaultdict(int)
    for local_id, capacity, open_tandems, town in rows:
        free[town] += max(0, capacity - open_tandems - suggested.get(local_id, 0))
    return free


def picture(session: Session, region: Region, run: MatchingRun) -> Picture:
    gaps = run.stats.get("gaps", [])
    places = session.execute(
        select(col(Place.name), col(Place.lat), col(Place.lon), col(Place.population))
        .where(col(Place.region_id) == region.id)
        .order_by(col(Place.population).desc(), col(Place.id))
    ).all()
    where: dict[str, tuple[float, float]] = {}
    for name, lat, lon, _population in places:
        where.setdefault(name, (lat, lon))  # the largest of two places of one name
    towns: dict[str, Town] = {}

    def town(name: str) -> Town | None:
        if name not in towns and name in where:
            towns[name] = Town(name=name, lat=where[name][0], lon=where[name][1])
        return towns.get(name)

    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    only_german = no_language = waiting = 0
    for gap in gaps:
        count = int(gap.get("waiting", 0))
        area = str(gap.get("area", ""))
        languages = [code for code in gap.get("languages", []) if code != COMMON_LANGUAGE]
        waiting += count
        if not gap.get("languages"):
            no_language += count
        elif not languages:
            only_german += count
        for code in languages:
            by_language[code][area] += count
        found = town(area)
        if found is None:  # an area that is no town of the region (a place moved since)
            continue
        found.waiting += count
        found.languages.update(dict.fromkeys(languages, count))
        found.slots.update({slot: int(n) for slot, n in gap.get("slots", [])})
    for name, free in _free_places(session, region).items():
        found = town(name) if free else None
        if found is not None:
            found.free += free
    shown = sorted(towns.values(), key=lambda t: (-t.waiting, -t.free, t.name))
    result = Picture(
        towns=shown,
        languages=sorted(
            (
                LanguageNeed(code, sum(areas.values()), areas.most_common())
                for code, areas in by_language.items()
            ),
            key=lambda need: (-need.waiting, need.language),
        ),
        only_german=only_german,
        no_language=no_language,
        waiting=waiting,
        free=sum(t.free for t in shown),
    )
    _project(result)
    return result


def _project(result: Picture) -> None:
    """Place the towns on the map: an equirectangular projection around the region's mean
    latitude (fine at a district's size), north up, fitted into the drawing with a margin."""
    towns = result.towns
    if not towns:
        return
    mean_lat = math.radians(sum(t.lat for t in towns) / len(towns))
    xs = [t.lon * math.cos(mean_lat) for t in towns]
    ys = [t.lat for t in towns]
    span_x = max(xs) - min(xs) or 0.01
    span_y = max(ys) - min(ys) or 0.01
    inner = MAP_WIDTH - 2 * MAP_PAD
    scale = inner / span_x
    height = span_y * scale + 2 * MAP_PAD
    if height > MAX_HEIGHT:  # a tall region: fit the height instead
        scale = (MAX_HEIGHT - 2 * MAP_PAD) / span_y
    result.height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, span_y * scale + 2 * MAP_PAD)))
    off_x = (MAP_WIDTH - span_x * scale) / 2
    off_y = (result.height - span_y * scale) / 2
    for t, x, y in zip(towns, xs, ys, strict=True):
        t.x = round(off_x + (x - min(xs)) * scale, 1)
        t.y = round(off_y + (max(ys) - y) * scale, 1)
    _place_labels([t for t in towns if t.waiting], width=MAP_WIDTH, height=result.height)


def _place_labels(towns: list[Town], *, width: float, height: float) -> None:
    """Below, above, right or left of its marker: the first place where a town's label
    overlaps no label placed before (the towns with most waiting first) nor the legend;
    a label that fits nowhere is left out (its numbers are in the marker's title and the
    table)."""
    taken: list[tuple[float, float, float, float]] = [LEGEND, LEGEND_RTL]

    def box(x: float, y: float, anchor: str, w: float) -> tuple[float, float, float, float]:
        left = x - w / 2 if anchor == "middle" else x if anchor == "start" else x - w
        return (left, y - LINE_HEIGHT + 3, w, LINE_HEIGHT)

    def free(b: tuple[float, float, float, float]) -> bool:
        inside = b[0] >= 2 and b[1] >= 2 and b[0] + b[2] <= width - 2 and b[1] + b[3] <= height
        return inside and not any(
            b[0] < o[0] + o[2] and o[0] < b[0] + b[2] and b[1] < o[1] + o[3] and o[1] < b[1] + b[3]
            for o in taken
        )

    for t in towns:
        r = max(t.waiting_r, 2.0)
        w = CHAR_WIDTH * len(t.label)
        right = t.x + t.waiting_r + 2 * t.free_r + 4
        for x, y, anchor in (
            (t.x, t.y + r + 13, "middle"),
            (t.x, t.y - r - 5, "middle"),
            (right, t.y + 4, "start"),
            (t.x - r - 4, t.y + 4, "end"),
        ):
            candidate = box(x, y, anchor, w)
            if free(candidate):
                taken.append(candidate)
                t.labelled, t.label_x, t.label_y, t.anchor = True, round(x, 1), round(y, 1), anchor
                break
