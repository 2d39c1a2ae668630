"""Hypothesis properties of `solve` against an independent pure-Python oracle."""

import math
from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import COMPONENTS, LEVELS, RULES, solve
from matching.arrays import encode
from matching.instance import parse_instance
from matching.rules import exclusion_counts, forbidden_keys

SLOT_CHOICES = ["mon_morning", "tue_evening", "sat_morning", "sun_afternoon"]
GENDERS = ["female", "male", "diverse", None]
TODAY = date(2026, 5, 1)
PROPERTY_SETTINGS = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def people(draw, prefix, count, is_local):
    out = []
    for i in range(count):
        person = {
            "id": f"{prefix}{i}",
            "languages": draw(
                st.dictionaries(
                    st.sampled_from(["de", "en", "ar"]), st.sampled_from(LEVELS), max_size=3
                )
            ),
            "learning": draw(
                st.lists(st.sampled_from(["de", "en", "ar"]), unique=True, max_size=2)
            ),
            "interests": draw(
                st.lists(st.sampled_from(["football", "chess", "music"]), unique=True, max_size=3)
            ),
            "slots": draw(st.lists(st.sampled_from(SLOT_CHOICES), unique=True, max_size=3)),
            "lat": draw(st.sampled_from([51.30, 51.35, 51.45, 51.55])),
            "lon": draw(st.sampled_from([9.45, 9.50, 9.80])),
            "online": draw(st.booleans()),
            "gender": draw(st.sampled_from(GENDERS)),
            "partner_genders": draw(
                st.lists(st.sampled_from(GENDERS[:3]), unique=True, max_size=2)
            ),
            "birth_year": draw(st.sampled_from([None, 1980, 2008, 2009, 2012])),
        }
        topics = draw(st.lists(st.sampled_from(["paperwork", "jobs"]), unique=True, max_size=2))
        if is_local:
            person.update(
                offers=topics,
                capacity=draw(st.integers(0, 2)),
                vetted=draw(st.booleans()),
            )
        else:
            person["needs"] = topics
            if draw(st.booleans()):
                person["waiting_since"] = draw(st.sampled_from(["2025-01-10", "2026-04-01"]))
        out.append(person)
    return out


@st.composite
def instances(draw, max_newcomers=5):
    locals_ = draw(people("L", draw(st.integers(1, 4)), True))
    newcomers = draw(people("N", draw(st.integers(1, max_newcomers)), False))
    all_pairs = [(a["id"], b["id"]) for a in locals_ for b in newcomers]
    forbidden = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=3))
    pinned, used, seen = [], {}, set()
    for a, b in draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=2)):
        cap = next(p["capacity"] for p in locals_ if p["id"] == a)
        if b not in seen and used.get(a, 0) < cap:
            pinned.append([a, b])
            seen.add(b)
            used[a] = used.get(a, 0) + 1
    return {
        "today": TODAY.isoformat(),
        "settings": {
            "objective": draw(st.sampled_from(["total_score", "coverage"])),
            "min_score": draw(st.sampled_from([0, 0, 0.35])),
            "min_level": draw(st.sampled_from(["B1", "A2", "C1"])),
        },
        "locals": locals_,
        "newcomers": newcomers,
        "pinned": pinned,
        "forbidden": [list(p) for p in forbidden],
    }


def km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def oracle_feasible(raw, local, newcomer):
    """The six hard rules written out plainly, independent of the engine."""
    s = raw["settings"]
    minimum = LEVELS.index(s["min_level"])

    def good(p):
        return {c for c, lv in p["languages"].items() if LEVELS.index(lv) >= minimum}

    minor = newcomer["birth_year"] is not None and TODAY.year - newcomer["birth_year"] < 18
    return {
        "forbidden": [local["id"], newcomer["id"]] not in raw["forbidden"],
        "language": bool(good(local) & good(newcomer)),
        "slots": bool(set(local["slots"]) & set(newcomer["slots"])),
        "distance": km(local, newcomer) <= 25 or (local["online"] and newcomer["online"]),
        "gender": (not local["partner_genders"] or newcomer["gender"] in local["partner_genders"])
        and (not newcomer["partner_genders"] or local["gender"] in newcomer["partner_genders"]),
        "age": local["vetted"] or not minor,
    }


def brute_force(raw, score):
    """Best (count, total) for total_score / coverage by enumerating every assignment."""
    pinned_n = {b for _, b in raw["pinned"]}
    cap = {p["id"]: p["capacity"] for p in raw["locals"]}
    for a, _ in raw["pinned"]:
        cap[a] -= 1
    free = [n["id"] for n in raw["newcomers"] if n["id"] not in pinned_n]
    options = {
        n: [
            a for (a, b), s in score.items() if b == n and s >= raw["settings"]["min_score"] - 1e-12
        ]
        for n in free
    }
    best = {"total_score": -1.0, "coverage": (-1, -1.0)}

    def walk(i, count, total):
        if i == len(free):
            best["total_score"] = max(best["total_score"], total)
            best["coverage"] = max(best["coverage"], (count, round(total, 9)))
            return
        walk(i + 1, count, total)
        n = free[i]
        for a in options[n]:
            if cap[a] > 0:
                cap[a] -= 1
                walk(i + 1, count + 1, total + score[(a, n)])
                cap[a] += 1

    walk(0, 0, 0.0)
    return best


def unlocked(result):
    return [p for p in result["pairs"] if not p["pinned"]]


@PROPERTY_SETTINGS
@given(instances())
def test_it_respects_every_rule_and_capacity(raw):
    result = solve(raw, all_scores=True).to_dict()
    by_id = {p["id"]: p for p in raw["locals"] + raw["newcomers"]}
    for pair in unlocked(result):
        checks = oracle_feasible(raw, by_id[pair["local"]], by_id[pair["newcomer"]])
        assert all(checks.values()), (pair, checks)
        assert pair["score"] >= raw["settings"]["min_score"] - 1e-9
    newcomers = [p["newcomer"] for p in result["pairs"]]
    assert len(newcomers) == len(set(newcomers))
    for local in raw["locals"]:
        assert sum(p["local"] == local["id"] for p in result["pairs"]) <= local["capacity"]
    got = {(p["local"], p["newcomer"]) for p in result["pairs"] if p["pinned"]}
    assert got == {tuple(p) for p in raw["pinned"]}
    matched = set(newcomers)
    waiting = {u["newcomer"] for u in result["unmatched"]}
    assert waiting == {n["id"] for n in raw["newcomers"]} - matched


@PROPERTY_SETTINGS
@given(instances())
def test_it_scores_exactly_the_feasible_pairs_within_zero_and_one(raw):
    result = solve(raw, all_scores=True).to_dict()
    expected = {
        (a["id"], b["id"])
        for a in raw["locals"]
        for b in raw["newcomers"]
        if all(oracle_feasible(raw, a, b).values())
    }
    assert {(a, b) for a, b, _ in result["scores"]} == expected
    assert result["stats"]["feasible_pairs"] == len(expected)
    assert all(0 <= s <= 1 for _, _, s in result["scores"])
    for pair in result["pairs"]:
        assert 0 <= pair["score"] <= 1
        assert set(pair["components"]) == set(COMPONENTS)
        assert all(0 <= v <= 1 for v in pair["components"].values())


@PROPERTY_SETTINGS
@given(instances())
def test_it_reaches_the_brute_force_optimum(raw):
    result = solve(raw, all_scores=True).to_dict()
    score = {(a, b): s for a, b, s in result["scores"]}
    best = brute_force(raw, score)
    pairs = unlocked(result)
    total = sum(p["score"] for p in pairs)
    tolerance = 1e-5 * (len(pairs) + 1)
    if raw["settings"]["objective"] == "total_score":
        assert abs(total - best["total_score"]) <= tolerance
    else:
        count, best_total = best["coverage"]
        assert len(pairs) == count
        assert abs(total - best_total) <= tolerance


@PROPERTY_SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_it_gives_the_same_result_for_shuffled_input(raw, rnd):
    first = solve(raw, all_scores=True).to_dict()
    shuffled = dict(raw)
    for key in ("locals", "newcomers", "pinned", "forbidden"):
        shuffled[key] = list(raw[key])
        rnd.shuffle(shuffled[key])
    again = solve(shuffled, all_scores=True).to_dict()
    first["stats"].pop("seconds")
    again["stats"].pop("seconds")
    assert again == first


@PROPERTY_SETTINGS
@given(instances())
def test_it_counts_exclusions_like_the_oracle(raw):
    inst = parse_instance(raw)
    enc = encode(inst)
    newcomers = np.arange(len(enc.newcomers))
    counts = exclusion_counts(enc, inst.settings, forbidden_keys(enc, inst.forbidden), newcomers)
    by_id = {p["id"]: p for p in raw["locals"] + raw["newcomers"]}
    for row, newcomer_id in enumerate(enc.newcomers.ids):
        for col, rule in enumerate(RULES):
            expected = sum(
                not oracle_feasible(raw, local, by_id[newcomer_id])[rule] for local in raw["locals"]
            )
            assert counts[row, col] == expected, (newcomer_id, rule)


def test_it_beats_greedy_when_a_popular_local_fits_everyone_best():
    # Greedy takes Lstar-N1 (1.0) and strands N2; the optimum pairs both (2 x 2/3).
    base = {"languages": {"de": "native"}, "lat": 51.3, "lon": 9.5}
    raw = {
        "today": "2026-05-01",
        "settings": {"weights": {c: 1 if c == "interests" else 0 for c in COMPONENTS}},
        "locals": [
            {
                **base,
                "id": "Lstar",
                "slots": ["mon_morning", "tue_evening"],
                "interests": ["football", "chess", "music"],
            },
            {**base, "id": "Lb", "slots": ["mon_morning"], "interests": ["football", "chess"]},
        ],
        "newcomers": [
            {
                **base,
                "id": "N1",
                "slots": ["mon_morning", "tue_evening"],
                "interests": ["football", "chess", "music"],
            },
            {**base, "id": "N2", "slots": ["tue_evening"], "interests": ["football", "chess"]},
        ],
    }
    result = solve(raw).to_dict()
    assert {(p["local"], p["newcomer"]) for p in result["pairs"]} == {("Lstar", "N2"), ("Lb", "N1")}
    assert abs(result["stats"]["total_score"] - 4 / 3) < 1e-5


@settings(PROPERTY_SETTINGS, max_examples=10)
@given(instances())
def test_it_counts_slot_exclusions_the_same_by_table(raw):
    import matching.rules as rules

    inst = parse_instance(raw)
    enc = encode(inst)
    newcomers = np.arange(len(enc.newcomers))
    forbidden = forbidden_keys(enc, inst.forbidden)
    direct = exclusion_counts(enc, inst.settings, forbidden, newcomers)
    saved = rules.DIRECT_SLOT_COUNT_LIMIT
    rules.DIRECT_SLOT_COUNT_LIMIT = -1
    try:
        by_table = exclusion_counts(enc, inst.settings, forbidden, newcomers)
    finally:
        rules.DIRECT_SLOT_COUNT_LIMIT = saved
    assert (direct == by_table).all()
