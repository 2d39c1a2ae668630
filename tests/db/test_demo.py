from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.builders import db
from tests.conftest import POSTGRES_URL, _truncate_all
from web.core.models import Coordinator, Occasion, Participant, Signup
from web.core.places import gazetteer
from web.ops.demo import DemoAlreadyLoaded, load_demo

TODAY = date(2026, 11, 26)


def snapshot(engine) -> list[tuple]:  # type: ignore[type-arg, no-untyped-def]
    """Everything that describes the demo people, minus random ids and timestamps."""
    with db(engine) as session:
        people = session.scalars(select(Participant).order_by(Participant.email)).all()
        return [
            (
                p.email,
                p.role,
                p.status,
                p.first_name,
                p.place.name,
                p.birth_year,
                p.gender,
                tuple(p.partner_genders),
                p.capacity,
                tuple(p.interests),
                tuple(p.help_topics),
                tuple(p.slots),
                p.online_ok,
                p.waiting_since,
                tuple(sorted((lang.language, lang.level) for lang in p.languages)),
                p.vetting is not None,
            )
            for p in people
        ]


@pytest.fixture(scope="module", autouse=True)
def _gazetteer_once():
    gazetteer()  # a few seconds to read; once for the module


def test_the_demo_is_a_realistic_population(engine):
    with db(engine) as session:
        summary = load_demo(session, today=TODAY, seed=7)
    people = snapshot(engine)
    assert (summary.locals, summary.newcomers, len(people)) == (80, 120, 200)
    newcomers = [row for row in people if row[1] == "newcomer"]
    assert len(newcomers) == 120
    spoken = {language for row in newcomers for language, _ in row[14]}
    assert {"ar", "fa", "uk", "ru", "tr", "ti", "ku", "en", "de"} <= spoken
    assert any(TODAY.year - row[5] < 18 for row in newcomers)  # some minors
    assert any(row[7] for row in people)  # some partner-gender wishes
    assert any(row[15] for row in people)  # some vetted locals
    assert len({row[4] for row in people}) > 10  # spread over many real towns
    assert len({row[13] for row in newcomers}) > 50  # varied waiting times
    with db(engine) as session:
        coordinators = session.scalars(select(Coordinator)).all()
        assert sorted(c.role for c in coordinators) == ["admin", "coordinator", "coordinator"]
        assert all(c.is_demo for c in coordinators)
        assert all(len(c.regions) == 1 for c in coordinators if c.role == "coordinator")
        # Issue 17: a few sign-ups for every event, one small event full with a waiting list.
        rows = session.scalars(select(Signup)).all()
        events = session.scalars(select(Occasion)).all()
        assert {row.occasion_id for row in rows} == {occasion.id for occasion in events}
        assert any(row.seat is None for row in rows)
        for occasion in events:
            held = [row for row in rows if row.occasion_id == occasion.id and row.seat]
            assert occasion.capacity is None or len(held) <= occasion.capacity


def test_the_demo_refuses_a_database_with_data(engine):
    with db(engine) as session:
        load_demo(session, today=TODAY, seed=7, locals_count=2, newcomers_count=2)
    with pytest.raises(DemoAlreadyLoaded), db(engine) as session:
        load_demo(session, today=TODAY, seed=7)


def test_the_same_seed_gives_the_same_people(engine, migrated_template, tmp_path):
    from shutil import copyfile

    from web.core.db import create_db_engine

    with db(engine) as session:
        load_demo(session, today=TODAY, seed=11)
    first = snapshot(engine)
    if POSTGRES_URL:
        _truncate_all(POSTGRES_URL)
        second_url = POSTGRES_URL
    else:
        copyfile(migrated_template, tmp_path / "second.db")
        second_url = f"sqlite:///{tmp_path / 'second.db'}"
    second_engine = create_db_engine(second_url)
    try:
        with db(second_engine) as session:
            load_demo(session, today=TODAY, seed=11)
        assert snapshot(second_engine) == first
    finally:
        second_engine.dispose()
