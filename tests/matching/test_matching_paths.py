"""The spatial-index path and the pruned, certified solver agree with the dense, exact path."""

import gc
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_matching_properties import PROPERTY_SETTINGS, instances

import matching.assign as assign_module
import matching.rules as rules
from matching import COMPONENTS, InputError, solve
from matching.arrays import encode
from matching.assign import assign, pair_weights, prices, top_pairs
from matching.instance import SLOTS, parse_instance


def scattered_instance(seed=3, n_locals=120, n_newcomers=400):
    """People scattered over ~100 km around Kassel, with every rule in play."""
    rng = np.random.default_rng(seed)
    levels = ["A2", "B1", "C1", "native"]

    def person(prefix, i):
        languages = {
            str(code): str(rng.choice(levels))
            for code in rng.choice(["de", "en", "ar", "fa"], size=int(rng.integers(1, 3)))
        }
        return {
            "id": f"{prefix}{i}",
            "languages": languages,
            "slots": sorted({str(s) for s in rng.choice(SLOTS[:5], size=int(rng.integers(1, 4)))}),
            "lat": float(51.3 + rng.normal(0, 0.3)),
            "lon": float(9.5 + rng.normal(0, 0.45)),
            "online": bool(rng.random() < 0.2),
            "gender": str(rng.choice(["female", "male", "diverse"])),
            "partner_genders": ["female"] if rng.random() < 0.2 else [],
        }

    locals_ = [{**person("L", i), "vetted": bool(rng.random() < 0.5)} for i in range(n_locals)]
    newcomers = [
        {**person("N", i), "birth_year": 2012 if rng.random() < 0.2 else 1990}
        for i in range(n_newcomers)
    ]
    forbidden = [[f"L{i}", f"N{3 * i}"] for i in range(0, n_locals, 7)]
    return {"today": "2026-05-01", "locals": locals_, "newcomers": newcomers,
            "forbidden": forbidden}  # fmt: skip


def test_blocks_find_exactly_the_pairs_passing_every_rule_and_count_exclusions(monkeypatch):
    # small blocks: many newcomer groups, each cut into many Morton blocks and boxes
    monkeypatch.setattr(rules, "_GROUP_BLOCK", 1_000)
    inst = parse_instance(scattered_instance())
    enc = encode(inst)
    forbidden = rules.forbidden_keys(enc, inst.forbidden)
    found = [
        pair
        for cl, cn, _ in rules.feasible_chunks(enc, inst.settings, forbidden)
        for pair in zip(cl.tolist(), cn.tolist(), strict=True)
    ]
    everyone_l, everyone_n = np.divmod(np.arange(len(enc.locals) * len(enc.newcomers)),
                                       len(enc.newcomers))  # fmt: skip
    checks = rules.rule_checks(enc, inst.settings, forbidden, everyone_l, everyone_n)
    passing = np.logical_and.reduce([checks[rule] for rule in rules.RULES])
    expected = set(zip(everyone_l[passing].tolist(), everyone_n[passing].tolist(), strict=True))
    assert len(found) == len(set(found))  # each pair once
    assert set(found) == expected
    assert len(expected) > 500
    assert 0.1 < checks["distance"].mean() < 0.9  # the boxes matter
    # the exclusion counts (Morton blocks for the distance) agree with the same checks
    everyone = np.arange(len(enc.newcomers))
    counts = rules.exclusion_counts(enc, inst.settings, forbidden, everyone)
    for j, rule in enumerate(rules.RULES):
        failing = np.bincount(everyone_n[~checks[rule]], minlength=len(everyone))
        assert counts[:, j].tolist() == failing.tolist(), rule


def test_it_keeps_each_newcomers_and_each_locals_best_pairs():
    # newcomers 0..3 all prefer local 0 (capacity 1); local 1 (capacity 2) is everyone's second
    cl = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    cn = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    score = np.array([0.9, 0.5, 0.8, 0.4, 0.7, 0.3, 0.6, 0.2])
    keep = top_pairs(cl, cn, score, np.array([1, 2]), k=1)
    # newcomer top-1: all four arcs to local 0; local top-k*cap: local 0 -> newcomer 0,
    # local 1 -> newcomers 0 and 1
    assert keep.tolist() == [True, True, True, True, True, False, True, False]


def tied_instance():
    # every newcomer ties on every local; odd locals share an interest, so they are better
    return {
        "today": "2026-05-01",
        "locals": [
            {
                "id": f"L{i}",
                "languages": {"de": "native"},
                "slots": ["mon_morning"],
                "lat": 51.3,
                "lon": 9.5,
                "interests": ["chess"] if i % 2 else [],
            }
            for i in range(6)
        ],
        "newcomers": [
            {
                "id": f"N{i}",
                "languages": {"de": "B1"},
                "slots": ["mon_morning"],
                "lat": 51.3,
                "lon": 9.5,
                "interests": ["chess"],
            }
            for i in range(6)
        ],
    }


def test_it_proves_the_pruned_optimum_exact():
    raw = tied_instance()
    exact = solve(raw).to_dict()["stats"]
    pruned = solve(raw, prune_above=10, top_k=2).to_dict()["stats"]
    assert exact["exact"] is True and exact["solver_pairs"] == 36
    # top-2 lists keep only the best locals; the certificate adds what is missing
    assert pruned["exact"] is True
    assert pruned["total_score"] == exact["total_score"]
    assert pruned["pairs"] == exact["pairs"] == 6


def on_a_line():
    # scores are nearness only; everyone prefers L0, whose own best is N0 or N1, and N0 is
    # also the best of L1 and L2: top-1 lists keep 5 arcs that match only 2 newcomers
    def person(pid, km, **extra):
        return {
            "id": pid,
            "languages": {"de": "native"},
            "slots": ["mon_morning"],
            "lat": 51.0 + km / (6371.0088 * math.pi / 180),
            "lon": 9.5,
            **extra,
        }

    return {
        "today": "2026-05-01",
        "settings": {"weights": {c: 1 if c == "nearness" else 0 for c in COMPONENTS}},
        "locals": [person("L0", 0), person("L1", 3), person("L2", 5)],
        "newcomers": [person("N0", 1), person("N1", -1), person("N2", -1.5)],
    }


def test_it_proves_a_pruned_optimum_that_needed_more_pairs():
    exact = solve(on_a_line()).to_dict()["stats"]
    pruned = solve(on_a_line(), prune_above=0, top_k=1).to_dict()["stats"]
    assert exact["pairs"] == 3
    assert pruned["exact"] is True
    assert pruned["total_score"] == exact["total_score"]


def test_it_says_inexact_when_the_proof_does_not_finish(monkeypatch):
    monkeypatch.setattr(assign_module, "MAX_ROUNDS", 1)
    exact = solve(on_a_line()).to_dict()["stats"]
    pruned = solve(on_a_line(), prune_above=0, top_k=1).to_dict()["stats"]
    assert pruned["exact"] is False
    assert pruned["solver_pairs"] == 5 and pruned["pairs"] == 2
    assert pruned["total_score"] < exact["total_score"]


@PROPERTY_SETTINGS
@given(instances(max_newcomers=6), st.sampled_from([1, 2]))
def test_the_pruned_and_certified_optimum_is_the_exact_optimum(raw, top_k):
    exact = solve(raw).to_dict()
    pruned = solve(raw, prune_above=0, top_k=top_k).to_dict()
    assert pruned["stats"]["exact"] is True
    for key in ("total_score", "pairs", "eligible_pairs"):
        assert pruned["stats"][key] == exact["stats"][key]


@st.composite
def bipartite(draw):
    n_locals = draw(st.integers(1, 6))
    n_newcomers = draw(st.integers(1, 8))
    cells = [(a, b) for a in range(n_locals) for b in range(n_newcomers)]
    arcs = draw(st.lists(st.sampled_from(cells), unique=True, min_size=1))
    score = draw(st.lists(st.sampled_from([0.0, 0.2, 0.5, 0.5, 0.9, 1.0]), min_size=len(arcs),
                          max_size=len(arcs)))  # fmt: skip
    capacity = draw(st.lists(st.integers(1, 3), min_size=n_locals, max_size=n_locals))
    objective = draw(st.sampled_from(["total_score", "coverage"]))
    cl, cn = (np.array(col, dtype=np.int64) for col in zip(*arcs, strict=True))
    return cl, cn, np.array(score), np.array(capacity, dtype=np.int64), n_newcomers, objective


@PROPERTY_SETTINGS
@given(bipartite())
def test_the_prices_prove_the_assignment_optimal(case):
    cl, cn, score, capacity, n, objective = case
    w = pair_weights(score, objective, n)
    chosen = assign(cl, cn, w, capacity, n)
    u, v = prices(cl, cn, w, chosen, capacity, n)
    # dual feasible: no arc could improve the assignment ...
    assert (u >= 0).all() and (v >= 0).all()
    assert (u[cn] + v[cl] >= w).all()
    # ... and complementary: the dual value equals the assignment's weight
    assert (u[cn] + v[cl] == w)[chosen].all()
    assert (u[np.setdiff1d(np.arange(n), cn[chosen])] == 0).all()
    load = np.bincount(cl[chosen], minlength=len(capacity))
    assert (v[load < capacity] == 0).all()
    assert u.sum() + (capacity * v).sum() == w[chosen].sum()


@pytest.mark.parametrize("objective", ["total_score", "coverage"])
def test_a_violating_pair_is_added_and_the_optimum_found(objective):
    # pruned to newcomer 0's single best arc, local 0 (capacity 1) takes newcomer 0 and
    # newcomer 1 is left out; the prices show that newcomer 1 -> local 1 is better
    cl = np.array([0, 1, 0, 1])
    cn = np.array([0, 0, 1, 1])
    score = np.array([0.9, 0.8, 0.7, 0.1])
    capacity = np.array([1, 1])
    keep = np.array([True, False, True, False])
    picked, proven, solver_pairs, rounds = assign_module.certified_assign(
        cl, cn, score, capacity, 2, keep, objective
    )
    assert proven and rounds == 2
    assert sorted(picked.tolist()) == [1, 2]  # 0.8 + 0.7 beats 0.9 + 0.1


def test_the_float32_screen_keeps_a_violating_arc_when_prices_are_large():
    # coverage prices are about the number of newcomers; at 10^7, float32 rounds
    # u + v = 0.6 to 1.0, and a fixed margin would miss the slack of -0.05
    u = np.array([10_000_000.0])
    v = np.array([-9_999_999.4])
    score32 = np.array([0.65], dtype=np.float32)
    assert np.float32(u[0]) + np.float32(v[0]) - score32[0] > assign_module.NEAR
    close = assign_module._close_arcs(np.array([0]), np.array([0]), score32, u, v)
    assert close.tolist() == [0]


def test_solving_leaves_the_garbage_collector_as_it_was():
    assert gc.isenabled()
    solve(tied_instance())
    assert gc.isenabled()
    with pytest.raises(InputError):
        solve({"today": "2026-05-01", "locals": "nobody"})
    assert gc.isenabled()
    gc.disable()
    try:
        solve(tied_instance())
        assert not gc.isenabled()
    finally:
        gc.enable()
