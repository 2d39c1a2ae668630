"""Many people take the last places of an event's date at the same moment, and several
cancel at once: never more places than the capacity, nobody moved up twice, the waiting
list in order — on SQLite and on PostgreSQL (run with TANDEM_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from tests.builders import db, make_occasion, make_participant, make_region
from web.core.models import Occasion, Participant, Signup, utcnow
from web.events import signups

REPETITIONS = 10


def together(engine, jobs: list) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Run each job (session -> result) in its own thread and transaction, all released
    at once by a barrier."""
    barrier = threading.Barrier(len(jobs))

    def run(job):  # type: ignore[no-untyped-def]
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            result = job(session)
            session.commit()
            return result

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run, job) for job in jobs]]


def signer(occasion_id: int, day, person_id: int):  # type: ignore[no-untyped-def]
    def job(session: Session) -> int | None:
        occasion = session.get(Occasion, occasion_id)
        person = session.get(Participant, person_id)
        return signups.sign_up(session, occasion, day, person, now=utcnow()).seat  # type: ignore[arg-type]

    return job


def seats(engine, occasion_id: int) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.scalars(select(Signup).where(Signup.occasion_id == occasion_id)).all()
        held = sorted(row.seat for row in rows if row.seat is not None)
        return held, sum(1 for row in rows if row.seat is None)


def in_three_days() -> datetime:
    """Noon UTC three days ahead: the same calendar day in Berlin (at 23:30 UTC, "now + 3
    days" is already the next day there, and the date below would name no occurrence)."""
    return (utcnow() + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)


def test_five_people_at_once_for_the_last_two_places(engine) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        region_id = kassel.id
    for _ in range(REPETITIONS):
        with db(engine) as session:
            kassel = session.get(type(kassel), region_id)
            occasion = make_occasion(session, kassel, starts_at=in_three_days(),
                                     capacity=3)  # fmt: skip
            day = signups.occurrence(occasion, occasion.starts_at.date()).day  # type: ignore[union-attr]
            early = make_participant(session, kassel)
            signups.sign_up(session, occasion, day, early, now=utcnow())
            people = [make_participant(session, kassel).id for _ in range(5)]
            occasion_id = occasion.id
        results = together(engine, [signer(occasion_id, day, pid) for pid in people])  # type: ignore[arg-type]
        assert sorted(seat for seat in results if seat is not None) == [2, 3]
        assert seats(engine, occasion_id) == ([1, 2, 3], 3)  # type: ignore[arg-type]


def test_two_cancel_at_once_and_the_first_two_waiting_move_up_once_each(engine) -> None:
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        region_id = kassel.id
    for _ in range(REPETITIONS):
        with db(engine) as session:
            kassel = session.get(type(kassel), region_id)
            occasion = make_occasion(session, kassel, starts_at=in_three_days(),
                                     capacity=2)  # fmt: skip
            day = signups.occurrence(occasion, occasion.starts_at.date()).day  # type: ignore[union-attr]
            people = [make_participant(session, kassel) for _ in range(5)]
            rows = []
            for person in people:  # two places, three waiting in order
                rows.append(signups.sign_up(session, occasion, day, person, now=utcnow()))
            holders = [row.id for row in rows[:2]]
            waiting_ids = [person.id for person in people[2:]]
            occasion_id = occasion.id

        def canceller(signup_id: int):  # type: ignore[no-untyped-def]
            def job(session: Session) -> list[int]:
                row = session.get(Signup, signup_id)
                return [m.participant_id for m in signups.cancel(session, row, now=utcnow())]  # type: ignore[arg-type]

            return job

        moved = together(engine, [canceller(signup_id) for signup_id in holders])
        assert sorted(pid for group in moved for pid in group) == sorted(waiting_ids[:2])
        assert seats(engine, occasion_id) == ([1, 2], 1)  # type: ignore[arg-type]
        with db(engine) as session:
            still = session.scalars(
                select(Signup).where(Signup.occasion_id == occasion_id, Signup.seat.is_(None))  # type: ignore[union-attr]
            ).one()
            assert still.participant_id == waiting_ids[2]
