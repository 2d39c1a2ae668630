"""Small builders for the world the tests need: regions, places, people, coordinators.

Named personas: Alice coordinates Kassel, Bob coordinates Göttingen, Ada is an admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import count
from typing import Any

from bs4 import BeautifulSoup
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from web.core.auth import hash_password
from web.core.db import transaction
from web.core.models import Coordinator, Participant, ParticipantLanguage, Place, Region

PASSWORD = "correct horse battery staple"
_ids = count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@contextmanager
def db(engine: Engine) -> Iterator[Session]:
    with transaction(engine) as session:
        yield session


def make_region(session: Session, slug: str, *, lat: float = 51.3, lon: float = 9.5) -> Region:
    region = Region(slug=slug, name=f"Region {slug}", centre_lat=lat, centre_lon=lon, radius_km=20)
    session.add(region)
    session.flush()
    session.add(
        Place(
            geonameid=900000 + next(_ids),
            name=f"{slug}-town",
            lat=lat,
            lon=lon,
            population=1000,
            region_id=region.id,
        )
    )
    session.flush()
    return region


def place_of(session: Session, region: Region) -> Place:
    session.refresh(region)
    return region.places[0]


def make_coordinator(
    session: Session,
    email: str,
    *,
    regions: list[Region] = (),
    role: str = "coordinator",  # type: ignore[assignment]
    **overrides: Any,
) -> Coordinator:
    coordinator = Coordinator(
        email=email,
        display_name=email.split("@")[0].title(),
        role=role,
        password_hash=password_hash(),
        regions=list(regions),
        **overrides,
    )
    session.add(coordinator)
    session.flush()
    return coordinator


def make_participant(session: Session, region: Region, **overrides: Any) -> Participant:
    n = next(_ids)
    values: dict[str, Any] = {
        "role": "newcomer",
        "status": "active",
        "first_name": f"Person{n}",
        "email": f"person{n}@example.org",
        "place_id": place_of(session, region).id,
        "birth_year": 1990,
        "slots": ["tue_evening"],
    }
    values.update(overrides)
    languages = values.pop("languages", {"de": "B1"})
    person = Participant(**values)
    person.languages = [ParticipantLanguage(language=c, level=lv) for c, lv in languages.items()]
    session.add(person)
    session.flush()
    return person


def html(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def csrf_token(client: TestClient, path: str) -> str:
    field = html(client.get(path)).find("input", attrs={"name": "_csrf_token"})
    assert field is not None, f"no CSRF field on {path}"
    return str(field["value"])


def login(client: TestClient, email: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": token, **extra},
        follow_redirects=False,
    )
