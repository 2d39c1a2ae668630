"""One test per hard rule's edge, through the public `solve`."""

import math

import pytest
from conftest import make_instance, make_local, make_newcomer

from matching import solve

KM_PER_DEGREE_LAT = 6371.0088 * math.pi / 180


def pairs_of(raw):
    return [(p["local"], p["newcomer"]) for p in solve(raw).to_dict()["pairs"]]


def the_unmatched(raw):
    return solve(raw).to_dict()["unmatched"][0]


@pytest.mark.parametrize(
    ("local_level", "newcomer_level", "matched"),
    [("B1", "B1", True), ("A2", "native", False), ("native", "A2", False), ("C2", "B2", True)],
)
def test_it_needs_a_common_language_at_min_level(local_level, newcomer_level, matched):
    raw = make_instance(
        locals_=[make_local(languages={"de": "native", "en": local_level})],
        newcomers=[make_newcomer(languages={"ar": "native", "en": newcomer_level})],
    )
    assert (pairs_of(raw) == [("L1", "N1")]) is matched


def test_it_uses_the_configured_min_level():
    raw = make_instance(
        locals_=[make_local(languages={"en": "A2"})],
        newcomers=[make_newcomer(languages={"en": "A2"})],
    )
    assert pairs_of(raw) == []
    raw["settings"] = {"min_level": "A2"}
    assert pairs_of(raw) == [("L1", "N1")]


def test_it_needs_a_shared_slot():
    raw = make_instance(newcomers=[make_newcomer(slots=["tue_morning", "wed_evening"])])
    assert pairs_of(raw) == []
    assert the_unmatched(raw)["blocked_by"] == "slots"


@pytest.mark.parametrize(("km", "matched"), [(25.0, True), (24.999, True), (25.001, False)])
def test_it_allows_distance_exactly_at_the_limit(km, matched):
    raw = make_instance(
        locals_=[make_local(lat=51.0, lon=9.5)],
        newcomers=[make_newcomer(lat=51.0 + km / KM_PER_DEGREE_LAT, lon=9.5)],
    )
    assert (pairs_of(raw) == [("L1", "N1")]) is matched


@pytest.mark.parametrize(
    ("local_online", "newcomer_online", "matched"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
def test_it_lets_only_two_online_people_meet_beyond_the_limit(
    local_online, newcomer_online, matched
):
    raw = make_instance(
        locals_=[make_local(lat=52.52, lon=13.40, online=local_online)],
        newcomers=[make_newcomer(online=newcomer_online)],
    )
    assert (pairs_of(raw) == [("L1", "N1")]) is matched
    if matched:
        pair = solve(raw).to_dict()["pairs"][0]
        assert {"code": "online"} in pair["reasons"]
        assert pair["components"]["nearness"] == 0
    else:
        assert the_unmatched(raw)["blocked_by"] == "distance"


@pytest.mark.parametrize(
    ("local_gender", "local_wants", "newcomer_gender", "newcomer_wants", "matched"),
    [
        ("female", [], "male", [], True),
        ("female", ["female"], "male", [], False),
        ("female", [], "male", ["male"], False),
        ("female", ["female", "diverse"], "diverse", ["female"], True),
        (None, [], "female", ["female"], False),
        (None, [], None, [], True),
    ],
)
def test_it_honours_partner_genders(
    local_gender, local_wants, newcomer_gender, newcomer_wants, matched
):
    raw = make_instance(
        locals_=[make_local(gender=local_gender, partner_genders=local_wants)],
        newcomers=[make_newcomer(gender=newcomer_gender, partner_genders=newcomer_wants)],
    )
    assert (pairs_of(raw) == [("L1", "N1")]) is matched


@pytest.mark.parametrize(
    ("birth_year", "vetted", "matched"),
    [(2009, False, False), (2008, False, True), (2009, True, True), (None, False, True)],
)
def test_it_pairs_a_minor_only_with_a_vetted_local(birth_year, vetted, matched):
    # today is 2026-05-01: born 2009 is 17 by the year rule, 2008 is 18
    raw = make_instance(
        locals_=[make_local(vetted=vetted)], newcomers=[make_newcomer(birth_year=birth_year)]
    )
    assert (pairs_of(raw) == [("L1", "N1")]) is matched
    if not matched:
        assert the_unmatched(raw)["blocked_by"] == "age"


def test_it_never_pairs_a_forbidden_pair():
    raw = make_instance(forbidden=[["L1", "N1"]])
    assert pairs_of(raw) == []
    entry = the_unmatched(raw)
    assert entry["blocked_by"] == "forbidden"
    assert entry["excluded"]["forbidden"] == 1


def test_it_gives_a_local_with_capacity_zero_nobody():
    raw = make_instance(locals_=[make_local(capacity=0)])
    result = solve(raw).to_dict()
    assert result["pairs"] == []
    assert result["unmatched"][0]["blocked_by"] == "capacity"
    assert result["stats"]["feasible_pairs"] == 1


def test_it_fills_a_local_up_to_capacity():
    raw = make_instance(
        locals_=[make_local(capacity=2)],
        newcomers=[make_newcomer("N1"), make_newcomer("N2"), make_newcomer("N3")],
    )
    result = solve(raw).to_dict()
    assert len(result["pairs"]) == 2
    assert [u["blocked_by"] for u in result["unmatched"]] == ["competition"]


def test_it_keeps_locked_pairs_even_against_the_rules():
    raw = make_instance(
        locals_=[make_local(capacity=1)],
        newcomers=[make_newcomer("N1"), make_newcomer("N2", slots=["sun_morning"])],
        pinned=[["L1", "N2"]],
    )
    result = solve(raw).to_dict()
    assert [(p["local"], p["newcomer"], p["pinned"]) for p in result["pairs"]] == [
        ("L1", "N2", True)
    ]
    reasons = result["pairs"][0]["reasons"]
    assert reasons[0] == {"code": "pinned"}
    assert reasons[1] == {"code": "overrides", "items": ["slots"]}
    # the pin used up L1's only place, so N1 waits
    assert result["unmatched"][0]["newcomer"] == "N1"
    assert result["unmatched"][0]["blocked_by"] == "capacity"


def test_it_leaves_out_pairs_below_min_score():
    raw = make_instance(settings={"min_score": 0.99})
    result = solve(raw).to_dict()
    assert result["pairs"] == []
    assert result["unmatched"][0]["blocked_by"] == "min_score"
    assert result["unmatched"][0]["feasible"] == 1
    assert result["unmatched"][0]["eligible"] == 0


def test_it_counts_each_rule_that_excludes_a_local():
    raw = make_instance(
        locals_=[
            make_local("L1", languages={"de": "native"}),
            make_local("L2", languages={"de": "native"}, slots=["mon_morning"]),
            make_local("L3", languages={"ar": "C1"}, lat=48.1, lon=11.6),
        ],
        newcomers=[make_newcomer(languages={"ar": "native"}, birth_year=2015)],
    )
    entry = the_unmatched(raw)
    assert entry["excluded"] == {
        "forbidden": 0,
        "language": 2,
        "slots": 1,
        "distance": 1,
        "gender": 0,
        "age": 3,
    }
    assert entry["blocked_by"] == "age"
    assert entry["feasible"] == 0
