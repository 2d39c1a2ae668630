"""What-if: each relaxation's effect on a small world where it is known by hand."""

import math

from conftest import make_instance, make_local, make_newcomer

from matching import solve
from matching.whatif import RADIUS_STEP_KM, lower_level, relaxed, what_if

KM_PER_DEGREE_LAT = 6371.0088 * math.pi / 180
KASSEL = (51.3127, 9.4797)


def north(km):
    return {"lat": KASSEL[0] + km / KM_PER_DEGREE_LAT, "lon": KASSEL[1]}


def world():
    """Two locals in Kassel with three places; five newcomers, one of them matched today.

    Nour needs nobody's help; Amal and Sami speak German at A2 only (the level rule);
    Karim lives 30 km away (the radius); Pari 200 km away and would meet online."""
    german = {"de": "B1"}
    return make_instance(
        locals_=[
            make_local("L1", languages={"de": "native"}, capacity=1),
            make_local("L2", languages={"de": "native"}, capacity=2),
        ],
        newcomers=[
            make_newcomer("Nour", languages=german),
            make_newcomer("Amal", languages={"de": "A2"}),
            make_newcomer("Sami", languages={"de": "A2"}),
            make_newcomer("Karim", languages=german, **north(30)),
            make_newcomer("Pari", languages=german, online=True, **north(200)),
        ],
    )


def by_relaxation(report):
    return {entry["relaxation"]: entry for entry in report["relaxations"]}


def test_each_relaxation_matches_the_newcomers_it_alone_would_help():
    report = what_if(world())
    assert report["baseline"] == {"pairs": 1, "unmatched": 4}
    found = by_relaxation(report)
    assert (found["level"]["value"], found["level"]["more"]) == ("A2", 2)
    assert found["level"]["newly_matched"] == ["Amal", "Sami"]
    assert (found["radius"]["value"], found["radius"]["more"]) == (25 + RADIUS_STEP_KM, 1)
    assert found["radius"]["newly_matched"] == ["Karim"]
    assert (found["online"]["value"], found["online"]["more"]) == (None, 2)
    assert found["online"]["newly_matched"] == ["Karim", "Pari"]


def test_online_names_the_people_who_would_have_to_meet_online():
    online = by_relaxation(what_if(world()))["online"]
    # Pari ticked it; Karim and the locals who would meet them online did not.
    assert "Pari" not in online["concerned"]
    assert "Karim" in online["concerned"]
    assert set(online["concerned"]) - {"Karim"} <= {"L1", "L2"}
    assert len(online["concerned"]) >= 2
    assert by_relaxation(what_if(world()))["level"]["concerned"] == []


def test_nothing_changes_where_no_relaxation_helps():
    raw = make_instance(
        locals_=[make_local(languages={"de": "native"})],
        newcomers=[make_newcomer(languages={"ar": "native"})],  # no common language at all
    )
    found = by_relaxation(what_if(raw))
    assert [found[name]["more"] for name in ("level", "radius", "online")] == [0, 0, 0]


def test_a_given_baseline_is_used_and_the_level_stops_at_a1():
    raw = world()
    raw["settings"] = {"min_level": "A1"}
    report = what_if(raw, baseline=solve(raw))
    assert "level" not in by_relaxation(report)
    assert report["baseline"]["pairs"] == 3  # A1: Amal and Sami match already
    assert lower_level("B1") == "A2" and lower_level("native") == "C2" and lower_level("A1") is None


def test_relaxing_leaves_the_instance_as_it_was():
    raw = world()
    before = repr(raw)
    change = relaxed(raw, "online")
    assert change is not None
    assert all(person["online"] for person in change[0]["newcomers"])
    assert repr(raw) == before
