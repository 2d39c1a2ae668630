"""Small builders for the world the tests need: regions, places, people, coordinators,
suggestions and tandems, and the helpers several test modules share (forms, links, the
``tandem`` command). Whole named worlds built from these live in tests/worlds.py.

Named personas: Alice coordinates Kassel, Bob coordinates Göttingen, Ada is an admin.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import count
from typing import Any, NamedTuple
from unittest import mock

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from web.core.auth import hash_password
from web.core.db import transaction
from web.core.models import (
    Coordinator,
    MeetingPlace,
    Occasion,
    OutboxMessage,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Tandem,
    utcnow,
)

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


def add_place(
    session: Session, region: Region, name: str, *, lat: float | None = None,
    lon: float | None = None,
) -> Place:  # fmt: skip
    """Another town in ``region`` (``make_region`` makes "<slug>-town"), by default at the
    region's centre."""
    lat = region.centre_lat if lat is None else lat
    lon = region.centre_lon if lon is None else lon
    place = Place(geonameid=900000 + next(_ids), name=name, lat=lat, lon=lon, population=500,
                  region_id=region.id)  # fmt: skip
    session.add(place)
    session.flush()
    return place


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


# As Litestar writes the field (template.base): read with a pattern, since parsing a whole
# page to find it was a tenth of the in-process tests' time.
CSRF_FIELD = re.compile(r'<input type="hidden" name="_csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, path: str) -> str:
    field = CSRF_FIELD.search(client.get(path).text)
    assert field is not None, f"no CSRF field on {path}"
    return field.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": token, **extra},
        follow_redirects=False,
    )


# --- suggestions: a local, a newcomer and a scored, explained pair ---------------------------

COMPONENTS = {
    "interests": 0.333333,
    "offers_needs": 1.0,
    "availability": 0.333333,
    "nearness": 0.9,
    "language": 0.7,
    "waiting": 0.25,
}
REASONS = [
    {"code": "common_language", "items": ["en"], "level": "B2"},
    {"code": "practice_language", "items": ["de"], "for": "newcomer"},
    {"code": "shared_interests", "items": ["football", "cooking"]},
    {"code": "slots", "items": ["tue_evening", "sat_morning"]},
    {"code": "distance_km", "value": 4.0},
    {"code": "waiting_days", "value": 94},
]


def make_local(session: Session, region: Region, **overrides: Any) -> Participant:
    values: dict[str, Any] = {
        "role": "local",
        "languages": {"de": "native", "en": "C1"},
        "interests": ["football", "cooking"],
    }
    values.update(overrides)
    return make_participant(session, region, **values)


def make_newcomer(session: Session, region: Region, **overrides: Any) -> Participant:
    values: dict[str, Any] = {
        "role": "newcomer",
        "languages": {"ar": "native", "en": "B2"},
        "learning": ["de"],
        "waiting_since": date(2026, 1, 1),
    }
    values.update(overrides)
    return make_participant(session, region, **values)


def make_suggestion(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    *,
    score: float = 0.6,
    **overrides: Any,
) -> Tandem:
    values: dict[str, Any] = {
        "local_id": local.id,
        "newcomer_id": newcomer.id,
        "region_id": region.id,
        "status": "suggested",
        "score": score,
        "components": dict(COMPONENTS),
        "reasons": list(REASONS),
    }
    values.update(overrides)
    tandem = Tandem(**values)
    session.add(tandem)
    session.flush()
    return tandem


# --- a tandem in a given life-cycle state ----------------------------------------------------

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAITING_SINCE = date(2025, 11, 1)


@dataclass
class Pair:
    tandem_id: int
    local_id: int
    newcomer_id: int
    public_id: str


def build_tandem(
    session: Session,
    region: Region,
    *,
    status: str = "active",
    local_name: str = "Lena",
    newcomer_name: str = "Nour",
    started_at: datetime | None = STARTED,
    **local_overrides: object,
) -> Pair:
    """A local and a newcomer in ``region`` with a tandem in ``status``; their
    ``open_tandems`` counters as the status implies."""
    from web.tandems import lifecycle

    is_open = status in ("proposed", "active", "paused")
    domain = region.slug
    local = make_participant(
        session, region, role="local", first_name=local_name, capacity=2,
        open_tandems=1 if is_open else 0, locale="de",
        email=f"{local_name.lower()}@{domain}.example", **local_overrides,
    )  # fmt: skip
    newcomer = make_participant(
        session, region, first_name=newcomer_name, open_tandems=1 if is_open else 0,
        waiting_since=WAITING_SINCE, locale="ar", email=f"{newcomer_name.lower()}@{domain}.example",
    )  # fmt: skip
    tandem = Tandem(
        local_id=local.id,
        newcomer_id=newcomer.id,
        region_id=region.id,
        status=status,
        proposed_at=STARTED - timedelta(days=3) if status != "suggested" else None,
        started_at=started_at if status in ("active", "paused", "ended") else None,
        fit_check_due_at=STARTED + lifecycle.FIT_CHECK_AFTER
        if status in ("active", "paused")
        else None,
        paused_at=STARTED + timedelta(days=10) if status == "paused" else None,
        ended_at=STARTED + timedelta(days=20) if status == "ended" else None,
        end_reason="other" if status == "ended" else None,
    )
    session.add(tandem)
    session.flush()
    return Pair(tandem.id, local.id, newcomer.id, tandem.public_id)  # type: ignore[arg-type]


def reload(engine: Engine, pair: Pair) -> tuple[Tandem, Participant, Participant]:
    """The pair's tandem and both people, readable after the session closed."""
    with Session(engine, expire_on_commit=False) as session:
        return (
            session.get(Tandem, pair.tandem_id),
            session.get(Participant, pair.local_id),
            session.get(Participant, pair.newcomer_id),
        )  # type: ignore[return-value]


# --- a participant's side: sign-up form, e-mailed links, "my profile" ------------------------


def valid_form(**overrides: object) -> dict[str, object]:
    """A complete sign-up form (Nour, a newcomer in ``kassel-town``)."""
    form: dict[str, object] = {
        "first_name": "Nour",
        "email": "nour@example.org",
        "birth_year": "1995",
        "gender": "female",
        "place": "kassel-town",
        "language_1": "ar",
        "level_1": "native",
        "language_2": "de",
        "level_2": "A2",
        "learning": ["de"],
        "interests": ["cooking", "football"],
        "help_topics": ["language_practice", "paperwork"],
        "slots": ["tue_evening", "sat_morning"],
        "partner_wish": "female",
        "consent_matching": "1",
        "consent_contact": "1",
    }
    form.update(overrides)
    return form


def submit(client: TestClient, role: str = "newcomer", **overrides: object):  # type: ignore[no-untyped-def]
    """Send the sign-up form as ``role``."""
    data = {**valid_form(**overrides), "_csrf_token": csrf_token(client, f"/signup/{role}")}
    return client.post(f"/signup/{role}", data=data, follow_redirects=False)


def people(engine: Engine) -> list[Participant]:
    """Everyone stored, with languages and consents loaded."""
    with db(engine) as session:
        found = session.scalars(select(Participant)).all()
        for person in found:
            _ = person.languages, person.consents
        return list(found)


def link_in_last_mail(engine: Engine, path: str) -> str:
    """The token after ``path`` in the newest e-mail of the outbox."""
    with db(engine) as session:
        message = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert message is not None, "the outbox is empty"
        match = re.search(rf"{path}/(\S+)", message.body_text)
        assert match, message.body_text
        return match.group(1)


def open_profile(client: TestClient, engine: Engine, person_id: int) -> None:
    """Open "my profile" as the person would: from a fresh profile link."""
    from web.core import links

    with Session(engine) as session, session.begin():
        raw = links.issue(
            session,
            session.get(Participant, person_id),  # type: ignore[arg-type]
            "profile",
            now=utcnow(),
            lifetime=timedelta(days=30),
        )
    assert client.get(f"/me/open/{raw}").status_code == 200
    response = client.post(
        f"/me/open/{raw}",
        data={"_csrf_token": csrf_token(client, f"/me/open/{raw}")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/me"


def post_as_me(client: TestClient, path: str, **data: object):  # type: ignore[no-untyped-def]
    """A form on the participant's pages, with the CSRF token from /me."""
    return client.post(
        path, data={**data, "_csrf_token": csrf_token(client, "/me")}, follow_redirects=False
    )


# --- rate limits -----------------------------------------------------------------------------

HOUR = utcnow().replace(minute=0, second=0, microsecond=0)
T0 = HOUR + timedelta(minutes=10, seconds=5)  # well inside a sign-up hour and a login minute


def counters(engine: Engine) -> dict[tuple[str, str], int]:
    """Every rate counter, read on a connection of its own (and without SQLite's write lock)."""
    from web.core.db import READ_ONLY
    from web.core.models import RateCounter

    table = RateCounter.__table__  # type: ignore[attr-defined]
    reader = engine.execution_options(**{READ_ONLY: True})
    with reader.begin() as connection:
        rows = connection.execute(select(table.c.scope, table.c.client, table.c.hits)).all()
    return {(scope, client): hits for scope, client, hits in rows}


# --- the `tandem` command --------------------------------------------------------------------


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def tandem(*args: str, database_url: str, stdin: str = "") -> Result:
    """Run the ``tandem`` command in this process (a subprocess costs a second of imports):
    its environment, standard input and output are the command's own while it runs."""
    from web.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {"TANDEM_DATABASE_URL": database_url}),
        mock.patch("sys.stdin", io.StringIO(stdin)),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            returncode = main(list(args))
        except SystemExit as exit_:  # argparse exits on wrong arguments
            returncode = exit_.code if isinstance(exit_.code, int) else 1
    return Result(returncode, out.getvalue(), err.getvalue())


# --- a matching run, to its end --------------------------------------------------------------

RUN_DAY = date(2026, 11, 26)  # "today" for the matching runs the tests start


def run_now(engine: Engine, region_id: int, coordinator_id: int | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    """Start a matching run for the region and carry it out in this thread; the finished run."""
    from web.core.models import MatchingRun
    from web.runs.runs import execute_run, start_run

    with db(engine) as session:
        region = session.get(Region, region_id)
        coordinator = session.get(Coordinator, coordinator_id) if coordinator_id else None
        run_id = start_run(session, region, coordinator, now=utcnow()).id  # type: ignore[arg-type]
    execute_run(engine, run_id, today=RUN_DAY, **kwargs)  # type: ignore[arg-type]
    with db(engine) as session:
        return session.get(MatchingRun, run_id)


def suggestions(engine: Engine, region_id: int) -> list[Tandem]:
    """The region's open suggestions."""
    with db(engine) as session:
        return list(
            session.scalars(
                select(Tandem).where(Tandem.region_id == region_id, Tandem.status == "suggested")
            )
        )


# --- the app's route table -------------------------------------------------------------------

SAMPLE = {"str": "sample", "int": "1", "path": "tandem.css", "uuid": "0" * 32}


def routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (path template, method) the app answers, OPTIONS and HEAD aside."""
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((route.path, method))
    return sorted(found)


def concrete(path: str) -> str:
    """A path template with a sample value for each parameter."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: SAMPLE.get(m.group(2), "x"), path)


# --- events (issue 17) -----------------------------------------------------------------------


def make_occasion_near(
    session: Session,
    region: Region,
    title: str,
    *,
    starts: datetime,
    km_north: float = 0.0,
    step_free: bool = False,
    **extra: Any,
) -> Occasion:
    """An event of two hours at a café of its own, ``km_north`` of the region's first town
    (titles in German and, marked "(fa)", Persian)."""
    session.refresh(region)
    town = region.places[0]
    place = MeetingPlace(region_id=region.id, name=f"Café {title}", kind="cafe",
                         street="Markt 1", town_id=town.id, lat=town.lat + km_north / 111.0,
                         lon=town.lon, slots=["thu_evening"], step_free=step_free,
                         descriptions={"de": "x"})  # fmt: skip
    session.add(place)
    session.flush()
    occasion = Occasion(region_id=region.id, meeting_place_id=place.id,
                        titles={"de": title, "fa": f"{title} (fa)"}, starts_at=starts,
                        ends_at=starts + timedelta(hours=2), **extra)  # fmt: skip
    session.add(occasion)
    session.flush()
    return occasion


def make_occasion(
    session: Session, region: Region, *, starts_at: datetime, title: str = "Stammtisch",
    place_name: str = "Stadtbibliothek", **overrides: Any,
) -> Occasion:  # fmt: skip
    """An event at a new meeting place in the region's town, two hours long."""
    town = place_of(session, region)
    place = MeetingPlace(region_id=region.id, name=place_name, kind="library",
                         street="Obere Königsstraße 3", town_id=town.id, lat=town.lat,
                         lon=town.lon, slots=["thu_evening"],
                         descriptions={"de": "Lesecafé"})  # fmt: skip
    session.add(place)
    session.flush()
    values: dict[str, Any] = {"titles": {"de": title}, "starts_at": starts_at,
                              "ends_at": starts_at + timedelta(hours=2)}  # fmt: skip
    values.update(overrides)
    occasion = Occasion(region_id=region.id, meeting_place_id=place.id, **values)
    session.add(occasion)
    session.flush()
    return occasion
