"""The shared worlds (tests/worlds.py) are what their names promise, so that a test built
on one of them tests what it says."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from tests.builders import db
from tests.worlds import region_of_300, tandems_in_every_state, two_regions
from web.core.models import Coordinator, Participant, Tandem
from web.core.vocabulary import OPEN_TANDEM_STATUSES, TANDEM_STATUSES


def test_two_regions_each_with_its_coordinator_and_an_admin(engine):
    with db(engine) as session:
        world = two_regions(session)
        assert [r.slug for r in world.alice.regions] == ["kassel"]
        assert [r.slug for r in world.bob.regions] == ["goettingen"]
        assert (world.ada.role, world.ada.regions) == ("admin", [])
        assert session.scalar(select(func.count()).select_from(Coordinator)) == 3


def test_a_region_of_300_people(engine):
    with db(engine) as session:
        region = region_of_300(session)
        people = session.scalars(select(Participant)).all()
        assert len(people) == 300
        assert {p.place.region_id for p in people} == {region.id}
        assert Counter(p.role for p in people) == {"newcomer": 200, "local": 100}
        assert {p.status for p in people} == {"active", "pending", "paused", "unverified"}
        assert len({p.email for p in people}) == 300


def test_a_tandem_in_each_life_cycle_state(engine):
    with db(engine) as session:
        world = two_regions(session)
        pairs = tandems_in_every_state(session, world.kassel)
        assert list(pairs) == list(TANDEM_STATUSES)
        for status, pair in pairs.items():
            tandem = session.get(Tandem, pair.tandem_id)
            assert tandem.status == status
            local = session.get(Participant, pair.local_id)
            newcomer = session.get(Participant, pair.newcomer_id)
            assert local.role == "local" and newcomer.role == "newcomer"
            opened = 1 if status in OPEN_TANDEM_STATUSES else 0
            assert (local.open_tandems, newcomer.open_tandems) == (opened, opened), status
        names = [session.get(Participant, p.local_id).first_name for p in pairs.values()]
        assert len(set(names)) == len(names)  # each pair its own people
