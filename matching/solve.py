"""`solve`: instance in, scored, assigned and explained pairs out."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arrays import Encoded, distance_km, encode
from .assign import assign, certified_assign, pair_weights, top_pairs
from .explain import area_of, blocked_by, gaps, pairs_reasons
from .instance import COMPONENTS, Instance, parse_instance
from .rules import RULES, exclusion_counts, feasible_chunks, forbidden_keys, rule_checks
from .scores import components, pair_scores, scores

# Above this many eligible pairs the solver starts from a pruned candidate graph and
# the price certificate adds pairs until the optimum over all pairs is proven (README).
PRUNE_ABOVE = 1_000_000
TOP_K = 10
SCORE_DIGITS = 6


@dataclass(frozen=True)
class Pair:
    local: str
    newcomer: str
    score: float
    components: dict[str, float]
    reasons: list[dict]
    pinned: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "local": self.local,
            "newcomer": self.newcomer,
            "score": self.score,
            "components": dict(self.components),
            "reasons": self.reasons,
            "pinned": self.pinned,
        }


@dataclass(frozen=True)
class Unmatched:
    newcomer: str
    area: str
    feasible: int
    eligible: int
    excluded: dict[str, int]
    blocked_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "newcomer": self.newcomer,
            "area": self.area,
            "feasible": self.feasible,
            "eligible": self.eligible,
            "excluded": dict(self.excluded),
            "blocked_by": self.blocked_by,
        }


@dataclass(frozen=True)
class Result:
    pairs: list[Pair]
    unmatched: list[Unmatched]
    gaps: list[dict]
    stats: dict[str, Any]
    scores: list[tuple[str, str, float]] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pairs": [p.to_dict() for p in self.pairs],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "gaps": self.gaps,
            "stats": dict(self.stats),
        }
        if self.scores is not None:
            out["scores"] = [list(s) for s in self.scores]
        return out


@dataclass
class Candidates:
    """All feasible pairs with their score, in an order fixed by the sorted ids."""

    cl: np.ndarray
    cn: np.ndarray
    score: np.ndarray


def feasible_pairs(enc: Encoded, inst: Instance) -> Candidates:
    settings = inst.settings
    forbidden = forbidden_keys(enc, inst.forbidden)
    parts = []
    for cl, cn, dist in feasible_chunks(enc, settings, forbidden):
        if len(cl):
            score = pair_scores(enc, settings, cl, cn, dist)
            parts.append((cl.astype(np.int32), cn.astype(np.int32), score))
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return Candidates(empty, empty, np.zeros(0))
    # No sorting needed: the order is a function of the id-sorted people alone.
    cl, cn, score = (np.concatenate(column) for column in zip(*parts, strict=True))
    return Candidates(cl, cn, score)


def solve(
    instance: Instance | dict,
    *,
    all_scores: bool = False,
    prune_above: int = PRUNE_ABOVE,
    top_k: int = TOP_K,
) -> Result:
    """Assign newcomers to locals, maximising the settings' objective exactly.

    `instance` is an `Instance` or its JSON-shaped dict (validated by
    `parse_instance`, which raises `InputError`). Above `prune_above` eligible
    pairs, the solver starts from each newcomer's `top_k` and each local's
    `top_k` x capacity best pairs and adds pairs until dual prices prove the
    optimum over all eligible pairs (``stats["exact"]`` is false only if that
    proof did not finish within `assign.MAX_ROUNDS`).
    """
    with _gc_paused():
        return _solve(instance, all_scores, prune_above, top_k)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while solving.

    A solve builds hundreds of thousands of small containers (people, reasons) that all
    survive; each automatic collection would walk the caller's whole heap (the instance
    dict too) for nothing: 0.8 of 1.2 s of the country's pair reasons. Restores the
    previous state, so a caller that disabled the collector keeps it disabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _solve(instance: Instance | dict, all_scores: bool, prune_above: int, top_k: int) -> Result:
    started = time.perf_counter()
    inst = parse_instance(instance)
    settings = inst.settings
    enc = encode(inst)
    loc, new = enc.locals, enc.newcomers
    lpos = {pid: i for i, pid in enumerate(loc.ids)}
    npos = {pid: i for i, pid in enumerate(new.ids)}
    pinned = [(lpos[a], npos[b]) for a, b in inst.pinned]
    remaining = loc.capacity.copy()
    pinned_newcomer = np.zeros(len(new), dtype=bool)
    for li, ni in pinned:
        remaining[li] -= 1
        pinned_newcomer[ni] = True

    cand = feasible_pairs(enc, inst)
    eligible = cand.score >= settings.min_score - 1e-12
    usable = eligible & (remaining > 0)[cand.cl]  # bool gathers: cheaper than int64 ones
    if pinned_newcomer.any():
        usable &= ~pinned_newcomer[cand.cn]
    # Without copies when every feasible pair is usable; else a boolean selection, which
    # is about twice as fast as taking the pairs by index.
    idx = slice(None) if usable.all() else usable
    ucl, ucn, uscore = cand.cl[idx], cand.cn[idx], cand.score[idx]
    n_new = len(new)
    exact = True
    solver_pairs = len(ucl)
    if len(ucl) > prune_above:
        keep = top_pairs(ucl, ucn, uscore, remaining, top_k)
        picked, exact, solver_pairs, _ = certified_assign(
            ucl, ucn, uscore, remaining, n_new, keep, settings.objective
        )
    else:
        weight = pair_weights(uscore, settings.objective, n_new)
        picked = np.flatnonzero(assign(ucl, ucn, weight, remaining, n_new))
    chosen = picked if isinstance(idx, slice) else np.flatnonzero(usable)[picked]

    pl = np.concatenate([np.array([li for li, _ in pinned], dtype=np.int64), cand.cl[chosen]])
    pn = np.concatenate([np.array([ni for _, ni in pinned], dtype=np.int64), cand.cn[chosen]])
    is_pinned = np.arange(len(pl)) < len(pinned)
    pairs = _pairs(enc, inst, pl, pn, is_pinned)
    matched = np.zeros(len(new), dtype=bool)
    matched[pn] = True
    unmatched = _unmatched(enc, inst, cand, eligible, usable, np.flatnonzero(~matched))
    total = float(sum(p.score for p in pairs))
    stats = {
        "locals": len(loc),
        "newcomers": len(new),
        "feasible_pairs": len(cand.cl),
        "eligible_pairs": int(eligible.sum()),
        "solver_pairs": solver_pairs,
        "exact": exact,
        "objective": settings.objective,
        "pairs": len(pairs),
        "pinned_pairs": len(pinned),
        "unmatched": len(unmatched),
        "total_score": round(total, SCORE_DIGITS),
        "seconds": round(time.perf_counter() - started, 3),
    }
    score_rows = None
    if all_scores:
        order = np.lexsort((cand.cn, cand.cl))
        score_rows = [
            (loc.ids[a], new.ids[b], round(float(s), SCORE_DIGITS))
            for a, b, s in zip(
                cand.cl[order].tolist(), cand.cn[order].tolist(), cand.score[order], strict=True
            )
        ]
    newcomers_by_id = dict(zip(new.ids, new.people, strict=True))
    gap_rows = gaps([u.to_dict() for u in unmatched], newcomers_by_id, settings)
    return Result(pairs=pairs, unmatched=unmatched, gaps=gap_rows, stats=stats, scores=score_rows)


def _pairs(
    enc: Encoded, inst: Instance, pl: np.ndarray, pn: np.ndarray, is_pinned: np.ndarray
) -> list[Pair]:
    loc, new = enc.locals, enc.newcomers
    settings = inst.settings
    dist = distance_km(loc.axes, pl, new.axes, pn)
    comps = components(enc, settings, pl, pn, dist)
    score = scores(comps, settings).tolist()
    pinned_rows = np.flatnonzero(is_pinned)
    broken: dict[int, list[str]] = {}
    if len(pinned_rows):
        forbidden = forbidden_keys(enc, inst.forbidden)
        checks = rule_checks(enc, settings, forbidden, pl[pinned_rows], pn[pinned_rows])
        for j, row in enumerate(pinned_rows.tolist()):
            broken[row] = [rule for rule in RULES if not checks[rule][j]]
    km = dist.tolist()
    reasons = pairs_reasons(enc, settings, inst.today, pl, pn, km, broken)
    out = []
    rows = zip(pl.tolist(), pn.tolist(), comps.tolist(), reasons, strict=True)
    for i, (li, ni, comp, why) in enumerate(rows):
        out.append(
            Pair(
                local=loc.ids[li],
                newcomer=new.ids[ni],
                score=round(score[i], SCORE_DIGITS),
                components={
                    c: round(v, SCORE_DIGITS) for c, v in zip(COMPONENTS, comp, strict=True)
                },
                reasons=why,
                pinned=i in broken,
            )
        )
    out.sort(key=lambda p: (p.local, p.newcomer))
    return out


def _unmatched(
    enc: Encoded,
    inst: Instance,
    cand: Candidates,
    eligible: np.ndarray,
    usable: np.ndarray,
    waiting: np.ndarray,
) -> list[Unmatched]:
    """`usable`: eligible pairs with capacity left, of newcomers not pinned (never waiting)."""
    settings = inst.settings
    n = len(enc.newcomers)
    feasible = np.bincount(cand.cn, minlength=n)
    # Counting the few pairs left out is cheaper than counting the many kept.
    eligible_count = feasible - np.bincount(cand.cn[~eligible], minlength=n)
    free = feasible - np.bincount(cand.cn[~usable], minlength=n)
    forbidden = forbidden_keys(enc, inst.forbidden)
    excluded = exclusion_counts(enc, settings, forbidden, waiting)
    out = []
    for row, ni in enumerate(waiting.tolist()):
        out.append(
            Unmatched(
                newcomer=enc.newcomers.ids[ni],
                area=area_of(enc.newcomers.people[ni]),
                feasible=int(feasible[ni]),
                eligible=int(eligible_count[ni]),
                excluded={rule: int(c) for rule, c in zip(RULES, excluded[row], strict=True)},
                blocked_by=blocked_by(
                    excluded[row], int(feasible[ni]), int(eligible_count[ni]), int(free[ni])
                ),
            )
        )
    return out
