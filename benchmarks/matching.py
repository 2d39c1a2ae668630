"""Benchmark of the matching engine against a greedy-by-score baseline.

    python benchmarks/matching.py                  # district, region, country
    python benchmarks/matching.py --quick          # a small district, < 30 s
    python benchmarks/matching.py --sizes district,region --seed 7

Instances are generated from a seed: people live in real towns (North Hesse and
South Lower Saxony for the district and region sizes, cities all over Germany
plus a rural scatter for the country size), with realistic language mixes,
skewed availability (evenings and weekends) and a few popular locals. Each
measurement runs in a fresh subprocess, so the peak memory (max RSS) is honest
and includes the Python interpreter and libraries. Wall time runs from reading
the JSON file to the result dict; CPU time (all threads of the process) over
the same span is printed too, since it is less disturbed by other jobs on a
shared machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 5, 1)
REGION = [  # name, lat, lon, population (thousands)
    ("Kassel", 51.3127, 9.4797, 200),
    ("Göttingen", 51.5413, 9.9158, 118),
    ("Baunatal", 51.2515, 9.4183, 28),
    ("Hann. Münden", 51.4167, 9.65, 24),
    ("Hofgeismar", 51.4963, 9.3849, 15),
    ("Vellmar", 51.35, 9.4667, 18),
    ("Fuldatal", 51.3833, 9.55, 12),
    ("Kaufungen", 51.2833, 9.6167, 13),
    ("Lohfelden", 51.2667, 9.5333, 14),
    ("Wolfhagen", 51.3264, 9.1717, 13),
    ("Melsungen", 51.1306, 9.5522, 13),
    ("Fritzlar", 51.1333, 9.2833, 15),
    ("Homberg (Efze)", 51.0297, 9.4031, 14),
    ("Witzenhausen", 51.3406, 9.8564, 15),
    ("Eschwege", 51.1881, 10.0528, 20),
    ("Northeim", 51.7066, 9.9997, 29),
    ("Duderstadt", 51.5125, 10.2597, 20),
    ("Osterode", 51.7286, 10.2522, 21),
    ("Bad Arolsen", 51.3817, 9.0142, 16),
    ("Korbach", 51.2753, 8.8731, 24),
    ("Einbeck", 51.8167, 9.8667, 31),
    ("Uslar", 51.6578, 9.6353, 14),
    ("Calden", 51.4094, 9.4022, 7),
    ("Grebenstein", 51.4469, 9.4106, 6),
    ("Zierenberg", 51.3689, 9.3019, 6),
    ("Schauenburg", 51.2833, 9.35, 10),
    ("Niestetal", 51.3167, 9.5667, 11),
    ("Helsa", 51.2581, 9.6878, 6),
]
GERMANY = [
    ("Berlin", 52.52, 13.405, 3700),
    ("Hamburg", 53.5511, 9.9937, 1850),
    ("München", 48.1371, 11.5754, 1500),
    ("Köln", 50.9375, 6.9603, 1080),
    ("Frankfurt", 50.1109, 8.6821, 760),
    ("Stuttgart", 48.7758, 9.1829, 630),
    ("Düsseldorf", 51.2277, 6.7735, 620),
    ("Leipzig", 51.3397, 12.3731, 600),
    ("Dortmund", 51.5136, 7.4653, 590),
    ("Essen", 51.4556, 7.0116, 580),
    ("Bremen", 53.0793, 8.8017, 570),
    ("Dresden", 51.0504, 13.7373, 560),
    ("Hannover", 52.3759, 9.732, 540),
    ("Nürnberg", 49.4521, 11.0767, 520),
    ("Duisburg", 51.4344, 6.7623, 500),
    ("Bochum", 51.4818, 7.2162, 365),
    ("Wuppertal", 51.2562, 7.1508, 355),
    ("Bielefeld", 52.0302, 8.5325, 335),
    ("Bonn", 50.7374, 7.0982, 330),
    ("Münster", 51.9607, 7.6261, 320),
    ("Mannheim", 49.4875, 8.466, 315),
    ("Karlsruhe", 49.0069, 8.4037, 308),
    ("Augsburg", 48.3705, 10.8978, 300),
    ("Wiesbaden", 50.0782, 8.2398, 280),
    ("Mönchengladbach", 51.1805, 6.4428, 260),
    ("Gelsenkirchen", 51.5177, 7.0857, 260),
    ("Aachen", 50.7753, 6.0839, 250),
    ("Braunschweig", 52.2689, 10.5268, 250),
    ("Kiel", 54.3233, 10.1228, 247),
    ("Chemnitz", 50.8278, 12.9214, 245),
    ("Halle", 51.4969, 11.9688, 240),
    ("Magdeburg", 52.1205, 11.6276, 237),
    ("Freiburg", 47.999, 7.8421, 230),
    ("Krefeld", 51.3388, 6.5853, 227),
    ("Mainz", 49.9929, 8.2473, 220),
    ("Lübeck", 53.8655, 10.6866, 216),
    ("Erfurt", 50.9848, 11.0299, 214),
    ("Rostock", 54.0924, 12.0991, 209),
    ("Kassel", 51.3127, 9.4797, 200),
    ("Hagen", 51.367, 7.4633, 188),
    ("Potsdam", 52.3906, 13.0645, 183),
    ("Saarbrücken", 49.2402, 6.9969, 180),
    ("Oldenburg", 53.1435, 8.2146, 170),
    ("Osnabrück", 52.2799, 8.0472, 165),
    ("Heidelberg", 49.3988, 8.6724, 160),
    ("Darmstadt", 49.8728, 8.6512, 160),
    ("Regensburg", 49.0134, 12.1016, 153),
    ("Würzburg", 49.7913, 9.9534, 127),
    ("Ulm", 48.4011, 9.9876, 126),
    ("Göttingen", 51.5413, 9.9158, 118),
    ("Wolfsburg", 52.4227, 10.7865, 124),
    ("Trier", 49.7499, 6.6371, 111),
    ("Jena", 50.9272, 11.5892, 110),
    ("Cottbus", 51.7563, 14.3329, 98),
    ("Schwerin", 53.6355, 11.4012, 96),
    ("Flensburg", 54.7937, 9.4469, 92),
    ("Konstanz", 47.6779, 9.1732, 85),
    ("Passau", 48.5665, 13.4312, 53),
    ("Bayreuth", 49.9456, 11.5713, 74),
    ("Fulda", 50.5558, 9.6808, 68),
]
INTERESTS = [
    "football", "cooking", "music", "chess", "hiking", "cycling", "reading", "gardening",
    "crafts", "dancing", "swimming", "photography", "films", "volleyball", "art", "religion_talks",
    "nature", "games", "theatre", "running",
]  # fmt: skip
TOPICS = ["paperwork", "jobs", "housing", "school", "doctor", "language_practice", "leisure"]
SLOT_NAMES = [f"{d}_{t}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
              for t in ("morning", "afternoon", "evening")]  # fmt: skip
SLOT_WEIGHTS = np.array(
    [1, 1, 3] * 5 + [3, 2, 1.5] + [2, 2, 1], dtype=float
)  # evenings and weekends are popular
NEWCOMER_LANGUAGES = (["ar", "uk", "fa", "tr", "ru", "ku", "ti", "so", "en", "ps"],
                      [0.27, 0.2, 0.13, 0.1, 0.08, 0.06, 0.05, 0.04, 0.04, 0.03])  # fmt: skip
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2", "native"]
SIZES = {
    "quick": (600, 600, REGION),
    "district": (2_000, 2_000, REGION),
    "region": (10_000, 10_000, REGION),
    "country": (50_000, 100_000, GERMANY),
}


def _place(rng: np.random.Generator, towns, n: int, country: bool):
    weights = np.array([t[3] for t in towns], dtype=float)
    town = rng.choice(len(towns), size=n, p=weights / weights.sum())
    spread = np.array([2.0 + 1.2 * np.sqrt(t[3] / 50) for t in towns])[town]  # km
    lat = np.array([t[1] for t in towns])[town] + rng.normal(0, 1, n) * spread / 111.2
    lon = np.array([t[2] for t in towns])[town] + rng.normal(0, 1, n) * spread / 70.0
    names = [towns[i][0] for i in town]
    if country:  # a third of the people live in the countryside, anywhere
        rural = rng.random(n) < 0.33
        lat[rural] = rng.uniform(47.5, 54.8, rural.sum())
        lon[rural] = rng.uniform(6.2, 14.8, rural.sum())
        names = [None if r else name for r, name in zip(rural, names, strict=True)]
    return lat, lon, names


def _pick(rng, items, low, high, p=None):
    k = int(rng.integers(low, high + 1))
    return sorted(rng.choice(items, size=min(k, len(items)), replace=False, p=p).tolist())


def generate(n_locals: int, n_newcomers: int, towns, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    country = towns is GERMANY
    slot_p = SLOT_WEIGHTS / SLOT_WEIGHTS.sum()
    online_share = 0.05 if country else 0.1
    genders = ["female", "male", "diverse"]

    def common(i, prefix, lat, lon, name):
        gender = genders[int(rng.choice(3, p=[0.52, 0.44, 0.04]))]
        return {
            "id": f"{prefix}{i:06d}",
            "slots": _pick(rng, SLOT_NAMES, 1, 5, slot_p),
            "lat": round(float(lat), 5),
            "lon": round(float(lon), 5),
            "online": bool(rng.random() < online_share),
            "gender": gender,
            "partner_genders": ["female"] if gender == "female" and rng.random() < 0.2 else [],
            "interests": _pick(rng, INTERESTS, 1, 5),
            **({"area": name} if name else {}),
        }

    locals_ = []
    lat, lon, names = _place(rng, towns, n_locals, country)
    for i in range(n_locals):
        person = common(i, "L", lat[i], lon[i], names[i])
        languages = {"de": "native"}
        if rng.random() < 0.5:
            languages["en"] = LEVELS[int(rng.integers(2, 5))]
        for code, share in (("fr", 0.12), ("ru", 0.05), ("tr", 0.04), ("ar", 0.03), ("uk", 0.02)):
            if rng.random() < share:
                languages[code] = LEVELS[int(rng.integers(2, 7))]
        # A few very popular locals: many interests, slots and offers.
        popular = rng.random() < 0.02
        person.update(
            languages=languages,
            learning=["ar"] if rng.random() < 0.05 else [],
            offers=_pick(rng, TOPICS, 3 if popular else 0, 7 if popular else 3),
            capacity=int(rng.choice([0, 1, 2, 3], p=[0.05, 0.6, 0.25, 0.1])),
            vetted=bool(rng.random() < 0.4),
            birth_year=int(rng.integers(1945, 2005)),
        )
        if popular:
            person["slots"] = _pick(rng, SLOT_NAMES, 9, 14, slot_p)
            person["interests"] = _pick(rng, INTERESTS, 6, 9)
        locals_.append(person)
    newcomers = []
    lat, lon, names = _place(rng, towns, n_newcomers, country)
    codes, shares = NEWCOMER_LANGUAGES
    for i in range(n_newcomers):
        person = common(i, "N", lat[i], lon[i], names[i])
        first = str(rng.choice(codes, p=shares))
        languages = {first: "native"}
        german = int(rng.choice(6, p=[0.3, 0.3, 0.22, 0.1, 0.05, 0.03]))
        languages["de"] = LEVELS[german]
        if first != "en" and rng.random() < 0.35:
            languages["en"] = LEVELS[int(rng.integers(1, 5))]
        if first in ("uk", "ru") and rng.random() < 0.7:
            languages["ru" if first == "uk" else "uk"] = "C1"
        person.update(
            languages=languages,
            learning=["de"] if rng.random() < 0.9 else [],
            needs=_pick(rng, TOPICS, 0, 3),
            birth_year=int(rng.integers(2008, 2012)) if rng.random() < 0.08 else
            int(rng.integers(1960, 2007)),
            waiting_since=(TODAY - timedelta(days=int(rng.integers(0, 500)))).isoformat(),
        )  # fmt: skip
        newcomers.append(person)
    pairs = [(a["id"], b["id"]) for a, b in zip(locals_[:50], newcomers[:50], strict=False)]
    return {
        "today": TODAY.isoformat(),
        "settings": {},
        "locals": locals_,
        "newcomers": newcomers,
        "forbidden": [list(p) for p in pairs[:20]],
        "pinned": [],
    }


# --- measurements, each in a fresh process ------------------------------------------


def _greedy(path: str) -> dict:
    from matching.arrays import encode
    from matching.instance import parse_instance
    from matching.solve import feasible_pairs

    started, cpu = time.perf_counter(), time.process_time()
    inst = parse_instance(json.loads(Path(path).read_text(encoding="utf-8")))
    enc = encode(inst)
    cand = feasible_pairs(enc, inst)
    order = np.lexsort((cand.cn, cand.cl, -cand.score))
    capacity = enc.locals.capacity.copy()
    taken = np.zeros(len(enc.newcomers), dtype=bool)
    total, pairs = 0.0, 0
    for arc in order.tolist():
        li, ni = cand.cl[arc], cand.cn[arc]
        if capacity[li] > 0 and not taken[ni]:
            capacity[li] -= 1
            taken[ni] = True
            total += cand.score[arc]
            pairs += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "feasible": len(cand.cl),
        "pairs": pairs,
        "total": total,
    }


def _engine(path: str) -> dict:
    from matching import solve

    started, cpu = time.perf_counter(), time.process_time()
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    result = solve(raw).to_dict()
    seconds = time.perf_counter() - started
    stats = result["stats"]
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "feasible": stats["feasible_pairs"],
        "solver_pairs": stats["solver_pairs"],
        "exact": stats["exact"],
        "pairs": stats["pairs"],
        "total": stats["total_score"],
    }


def _exact(path: str) -> dict:
    """The engine without pruning: the optimum over all feasible pairs."""
    from matching import solve

    started = time.perf_counter()
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    stats = solve(raw, prune_above=10**12).to_dict()["stats"]
    return {
        "seconds": time.perf_counter() - started,
        "feasible": stats["feasible_pairs"],
        "pairs": stats["pairs"],
        "total": stats["total_score"],
    }


def _child(mode: str, path: str) -> None:
    # A server has its libraries loaded already; import time is not solve time.
    from ortools.graph.python import min_cost_flow  # noqa: F401

    out = {"engine": _engine, "greedy": _greedy, "exact": _exact}[mode](path)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _measure(mode: str, path: str) -> dict:
    done = subprocess.run(  # noqa: S603 - our own script with our own arguments
        [sys.executable, __file__, "--child", mode, path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="district,region,country", help="comma-separated")
    parser.add_argument("--quick", action="store_true", help="only a small district (< 30 s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    sizes = ["quick", "district"] if args.quick else args.sizes.split(",")
    header = (
        f"{'size':<9} {'locals x newcomers':>19} {'feasible':>11} {'time s':>7} {'cpu s':>6} "
        f"{'peak MB':>8} {'pairs':>7} {'total':>10} | {'greedy s':>8} {'g. cpu':>6} {'g. MB':>6} "
        f"{'g. pairs':>8} "
        f"{'g. total':>10} {'engine/greedy':>13}"
    )
    print(header)
    print("-" * len(header))
    notes = []
    for size in sizes:
        n_locals, n_newcomers, towns = SIZES[size]
        instance = generate(n_locals, n_newcomers, towns, args.seed)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(instance, handle)
            path = handle.name
        del instance
        try:
            engine = _measure("engine", path)
            greedy = _measure("greedy", path)
            exact = _measure("exact", path) if not engine["exact"] else None
        finally:
            Path(path).unlink()
        ratio = engine["total"] / greedy["total"] if greedy["total"] else float("nan")
        print(
            f"{size:<9} {f'{n_locals:,} x {n_newcomers:,}':>19} {engine['feasible']:>11,} "
            f"{engine['seconds']:>7.2f} {engine['cpu']:>6.2f} {engine['peak_mb']:>8.0f} "
            f"{engine['pairs']:>7,} {engine['total']:>10.2f} | {greedy['seconds']:>8.2f} "
            f"{greedy['cpu']:>6.2f} {greedy['peak_mb']:>6.0f} "
            f"{greedy['pairs']:>8,} {greedy['total']:>10.2f} {ratio:>12.2%}",
            flush=True,
        )
        share = engine["feasible"] / (n_locals * n_newcomers)
        note = f"{size}: {share:.2%} of pairs feasible"
        if exact is not None:
            note += (
                f"; pruned to {engine['solver_pairs']:,} solver pairs; exact optimum over all "
                f"feasible pairs {exact['total']:.2f} ({exact['seconds']:.1f} s, "
                f"{exact['peak_mb']:.0f} MB): engine reaches {engine['total'] / exact['total']:.3%}"
            )
        else:
            note += (
                f"; exact over all feasible pairs (stats.exact; above PRUNE_ABOVE proven by "
                f"the price certificate), last solve on {engine['solver_pairs']:,} pairs"
            )
        notes.append(note)
        print("  " + note, flush=True)


if __name__ == "__main__":
    main()
