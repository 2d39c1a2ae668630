"""Two coordinators confirm at the same moment: exactly one proposal, the other is told
"already taken", and nobody is booked twice — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from tests.builders import (
    db,
    make_coordinator,
    make_local,
    make_newcomer,
    make_region,
    make_suggestion,
)
from web.core.models import Coordinator, Participant, Region, Tandem, utcnow
from web.suggestions import suggestions

REPETITIONS = 20


def race(engine, attempts: list[tuple[int, int]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Run one confirm per (tandem id, coordinator id) in its own thread and session,
    all released together by a barrier; returns "won" or "taken" for each, sorted."""
    barrier = threading.Barrier(len(attempts))

    def attempt(tandem_id: int, coordinator_id: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            # Both coordinators have the page open: each read the suggestion before either
            # clicked (a read, then the transaction ends, as between two requests).
            tandem = session.get(Tandem, tandem_id)
            coordinator = session.get(Coordinator, coordinator_id)
            session.commit()
            barrier.wait()
            try:
                suggestions.confirm(session, tandem, coordinator, now=utcnow())
                session.commit()
            except suggestions.AlreadyTaken:
                session.rollback()
                return "taken"
            return "won"

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        futures = [pool.submit(attempt, *pair) for pair in attempts]
        return sorted(future.result(timeout=60) for future in futures)


def coordinators(engine) -> tuple[int, int, object]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        carol = make_coordinator(session, "carol@example.org", regions=[kassel])
        return alice.id, carol.id, kassel.id  # type: ignore[return-value]


def open_tandems(engine, person_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(the counter, the confirmed tandems actually in the database) of one person."""
    with db(engine) as session:
        counter = session.get(Participant, person_id).open_tandems
        rows = session.scalar(
            select(func.count(Tandem.id)).where(
                (Tandem.local_id == person_id) | (Tandem.newcomer_id == person_id),
                Tandem.status == "proposed",
            )
        )
        return counter, rows


def test_two_confirms_of_one_newcomer_with_different_locals(engine):
    alice, carol, region_id = coordinators(engine)
    for _ in range(REPETITIONS):
        with db(engine) as session:
            kassel = session.get(Region, region_id)
            newcomer = make_newcomer(session, kassel)
            first_local, second_local = make_local(session, kassel), make_local(session, kassel)
            one = make_suggestion(session, kassel, first_local, newcomer).id
            other = make_suggestion(session, kassel, second_local, newcomer).id
            ids = (newcomer.id, first_local.id, second_local.id)
        assert race(engine, [(one, alice), (other, carol)]) == ["taken", "won"]
        newcomer_id, first_id, second_id = ids
        assert open_tandems(engine, newcomer_id) == (1, 1)
        assert sorted([open_tandems(engine, first_id), open_tandems(engine, second_id)]) == [
            (0, 0),
            (1, 1),
        ]


def test_two_confirms_for_a_locals_last_free_place(engine):
    alice, carol, region_id = coordinators(engine)
    for _ in range(REPETITIONS):
        with db(engine) as session:
            kassel = session.get(Region, region_id)
            # Two places, one already taken by an earlier proposal: one free place left.
            local = make_local(session, kassel, capacity=2)
            earlier = make_newcomer(session, kassel)
            make_suggestion(session, kassel, local, earlier, status="proposed")
            local.open_tandems = earlier.open_tandems = 1
            first, second = make_newcomer(session, kassel), make_newcomer(session, kassel)
            one = make_suggestion(session, kassel, local, first).id
            other = make_suggestion(session, kassel, local, second).id
            ids = (local.id, first.id, second.id)
        assert race(engine, [(one, alice), (other, carol)]) == ["taken", "won"]
        local_id, first_id, second_id = ids
        assert open_tandems(engine, local_id) == (2, 2)
        assert sorted([open_tandems(engine, first_id), open_tandems(engine, second_id)]) == [
            (0, 0),
            (1, 1),
        ]
