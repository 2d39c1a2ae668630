"""Coordinators confirm several suggestions at once, with overlapping ticks in opposite
orders, on two app instances (two workers) at the same moment: never a deadlock or a 500,
and nobody is booked twice — on SQLite and on PostgreSQL (issue 12 §6)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import func, select

from tests.builders import csrf_token, db, login, make_coordinator, make_region, place_of
from web.app import create_app
from web.core.models import Participant, Region, Tandem

RACES = 100
PEOPLE = 2  # newcomers (and locals) per race; each newcomer has two suggestions
SUGGESTIONS = "/coordinator/regions/kassel/suggestions"


def race_worlds(engine, region_id: int) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """For each race two newcomers, two locals with one place each, and a ring of
    suggestions: newcomer i with local i and with local i+1, so that every confirm competes
    twice. Built for all races in one transaction (the races are what this test times)."""
    with db(engine) as session:
        kassel = session.get(Region, region_id)
        place_id = place_of(session, kassel).id
        people = [
            Participant(
                role=role,
                status="active",
                first_name=f"{role.title()}{n}",
                email=f"{role}{n}@example.org",
                place_id=place_id,
                birth_year=1990,
            )
            for n in range(RACES * PEOPLE)
            for role in ("newcomer", "local")
        ]
        session.add_all(people)
        session.flush()
        worlds = []
        for race in range(RACES):
            newcomers = people[2 * PEOPLE * race : 2 * PEOPLE * (race + 1) : 2]
            locals_ = people[2 * PEOPLE * race + 1 : 2 * PEOPLE * (race + 1) : 2]
            ring = [
                Tandem(
                    local_id=local.id,
                    newcomer_id=newcomer.id,
                    region_id=region_id,
                    status="suggested",
                    score=0.5,
                )
                for i, newcomer in enumerate(newcomers)
                for local in (locals_[i], locals_[(i + 1) % PEOPLE])
            ]
            session.add_all(ring)
            worlds.append(ring)
        session.flush()
        return [[tandem.public_id for tandem in ring] for ring in worlds]


def ticked_lists(suggestions: list[str]) -> list[list[str]]:
    """Four overlapping selections: two in page order, two in the opposite order."""
    first, second = suggestions[: 2 * PEOPLE - 1], suggestions[1:]
    return [first, list(reversed(second)), second, list(reversed(first))]


def double_bookings(engine) -> list[str]:  # type: ignore[no-untyped-def]
    """Everyone whose counter disagrees with their confirmed tandems or exceeds a place."""
    confirmed = func.count(Tandem.id)
    with db(engine) as session:
        rows = session.execute(
            select(Participant.id, Participant.open_tandems, Participant.capacity, confirmed)
            .outerjoin(
                Tandem,
                ((Tandem.local_id == Participant.id) | (Tandem.newcomer_id == Participant.id))
                & (Tandem.status == "proposed"),
            )
            .group_by(Participant.id, Participant.open_tandems, Participant.capacity)
        ).all()
    return [
        f"participant {id_}: counter {counter}, capacity {capacity}, confirmed {count}"
        for id_, counter, capacity, count in rows
        if counter != count or count > capacity
    ]


def confirm(client: TestClient, token: str, ticked: list[str], barrier: threading.Barrier) -> Any:
    """One "confirm selected" request, sent when every request of the race is ready."""
    barrier.wait()
    data = {"_csrf_token": token, "tandem": ticked}
    return client.post("/coordinator/suggestions/confirm", data=data)


def test_bulk_confirms_in_opposite_orders_never_deadlock_or_double_book(settings, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "carol@example.org", regions=[kassel])
        region_id = kassel.id
    # Two app instances, like two worker processes, each with its own connection pool.
    with (
        TestClient(app=create_app(settings)) as alice,
        TestClient(app=create_app(settings)) as carol,
    ):
        tokens = {}
        for client, email in ((alice, "alice@example.org"), (carol, "carol@example.org")):
            assert login(client, email).status_code == 303
            tokens[id(client)] = csrf_token(client, SUGGESTIONS)
        workers = [alice, carol, alice, carol]
        failed_races = []  # per race: the statuses other than 200 (confirmed) and 409 (taken)
        with ThreadPoolExecutor(max_workers=len(workers)) as pool:
            for suggestions in race_worlds(engine, region_id):
                barrier = threading.Barrier(len(workers))
                futures = [
                    pool.submit(confirm, client, tokens[id(client)], ticked, barrier)
                    for client, ticked in zip(workers, ticked_lists(suggestions), strict=True)
                ]
                statuses = [future.result(timeout=60).status_code for future in futures]
                failed = [status for status in statuses if status not in (200, 409)]
                if failed:
                    failed_races.append(failed)
    failed_requests = sum(len(failed) for failed in failed_races)
    assert failed_races == [], (
        f"{len(failed_races)} of {RACES} races failed, "
        f"{failed_requests} of {RACES * len(workers)} requests"
    )
    assert double_bookings(engine) == []
    with db(engine) as session:
        proposals = session.scalar(select(func.count()).where(Tandem.status == "proposed"))
    assert RACES <= proposals <= RACES * PEOPLE  # each race confirmed something, none twice
