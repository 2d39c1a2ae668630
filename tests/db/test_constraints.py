"""Integrity lives in the database: constraints hold even when code forgets to check."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from tests.builders import db, make_participant, make_region
from web.core.models import AuditLog, Tandem

REPETITIONS = 20


def pair(engine, slug: str = "kassel"):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        region = make_region(session, slug)
        local_a = make_participant(session, region, role="local")
        local_b = make_participant(session, region, role="local")
        newcomer = make_participant(session, region)
        return region.id, local_a.id, local_b.id, newcomer.id


def test_a_newcomer_cannot_be_in_two_open_tandems(engine):
    region_id, local_a, local_b, newcomer = pair(engine)
    with db(engine) as session:
        session.add(
            Tandem(local_id=local_a, newcomer_id=newcomer, region_id=region_id, status="active")
        )
    with pytest.raises(IntegrityError), db(engine) as session:
        session.add(
            Tandem(local_id=local_b, newcomer_id=newcomer, region_id=region_id, status="proposed")
        )
    # Closed tandems do not count.
    with db(engine) as session:
        session.add(
            Tandem(local_id=local_b, newcomer_id=newcomer, region_id=region_id, status="ended")
        )
        session.add(
            Tandem(local_id=local_b, newcomer_id=newcomer, region_id=region_id, status="rejected")
        )


def test_two_coordinators_confirming_at_once_never_double_book(engine):
    """Two sessions insert an open tandem for one newcomer at the same moment
    (F7 in shared/SECURITY.md): the partial unique index lets exactly one win."""
    for repetition in range(REPETITIONS):
        region_id, local_a, local_b, newcomer = pair(engine, f"region{repetition}")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def confirm(
            local_id, newcomer=newcomer, region_id=region_id, barrier=barrier, outcomes=outcomes
        ) -> None:  # type: ignore[no-untyped-def]
            barrier.wait(timeout=10)
            try:
                with Session(engine) as session, session.begin():
                    session.add(
                        Tandem(
                            local_id=local_id,
                            newcomer_id=newcomer,
                            region_id=region_id,
                            status="proposed",
                        )
                    )
                outcomes.append("confirmed")
            except IntegrityError:
                outcomes.append("refused")

        threads = [threading.Thread(target=confirm, args=(lid,)) for lid in (local_a, local_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        with db(engine) as session:
            booked = session.execute(
                text("SELECT count(*) FROM tandem WHERE newcomer_id = :n"), {"n": newcomer}
            ).scalar_one()
        assert booked == 1, outcomes
        assert sorted(outcomes) == ["confirmed", "refused"]


def test_check_constraints_reject_values_outside_the_vocabulary(engine):
    with db(engine) as session:
        region = make_region(session, "kassel")
    for bad in (
        {"role": "admin"},
        {"status": "banned"},
        {"birth_year": 1800},
        {"capacity": 9, "role": "local"},
        {"gender": "x"},
    ):
        with pytest.raises(IntegrityError), db(engine) as session:
            make_participant(session, session.merge(region), **bad)


def test_the_audit_log_is_append_only(engine):
    with db(engine) as session:
        session.add(AuditLog(actor_type="system", action="test", subject_type="x", subject_id="1"))
    with pytest.raises(DBAPIError), db(engine) as session:
        session.execute(text("UPDATE audit_log SET action = 'forged'"))
    with db(engine) as session:
        assert session.execute(text("SELECT action FROM audit_log")).scalar_one() == "test"


def test_deleting_a_region_in_use_is_refused(engine):
    region_id, *_ = pair(engine)
    with db(engine) as session:
        session.add(Tandem(local_id=_[0], newcomer_id=_[2], region_id=region_id))
    with pytest.raises(IntegrityError), db(engine) as session:
        session.execute(text("DELETE FROM region WHERE id = :r"), {"r": region_id})
