"""How long the what-if for the newcomers still waiting takes (web.runs.whatif's job).

    python benchmarks/whatif.py                    # quick (600 + 600) and district (2,000 + 2,000)
    python benchmarks/whatif.py --sizes region     # 10,000 + 10,000

The what-if solves the instance three more times (level one step lower, radius +10 km,
online for all) after the run: it runs as its own job, so the run itself is as fast as
before. Prints the run's solve time, the what-if's time and what each relaxation gains.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import solve  # noqa: E402
from matching.whatif import what_if  # noqa: E402

# The engine benchmark's instance generator (benchmarks/matching.py; its file name is the
# engine's package name, so it is loaded by path).
_spec = importlib.util.spec_from_file_location("engine_benchmark", ROOT / "benchmarks/matching.py")
assert _spec is not None and _spec.loader is not None  # noqa: S101
engine_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine_benchmark)
SIZES, generate = engine_benchmark.SIZES, engine_benchmark.generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="quick,district", help="comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        n_locals, n_newcomers, towns = SIZES[size]
        instance = generate(n_locals, n_newcomers, towns, args.seed)
        started = time.perf_counter()
        base = solve(instance)
        run_s = time.perf_counter() - started
        started = time.perf_counter()
        report = what_if(instance, baseline=base)
        whatif_s = time.perf_counter() - started
        gains = ", ".join(
            f"{entry['relaxation']} ({entry['value'] if entry['value'] is not None else 'all'})"
            f" {entry['more']:+d}"
            for entry in report["relaxations"]
        )
        print(
            f"{size}: {n_locals} locals, {n_newcomers} newcomers — run {run_s:.2f} s, "
            f"{len(base.pairs)} pairs, {len(base.unmatched)} waiting; what-if {whatif_s:.2f} s: "
            f"{gains}"
        )


if __name__ == "__main__":
    main()
