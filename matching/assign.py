"""Exact assignment by min-cost flow (OR-Tools), with an optimality certificate.

Both objectives are a maximum-weight b-matching with integer pair weights
(`pair_weights`): scores are scaled to integers (SCALE) and rounded, so the
optimum is exact to 1e-6 per pair.

* ``total_score``: weight ``score * K + 1`` with K larger than the number of
  newcomers, so the total score is maximised first and, among equal totals,
  the number of pairs.
* ``coverage``: weight ``score + B`` with B larger than any total score, so
  the number of matched newcomers is maximised first, then the total score.

Network: source -> newcomer (capacity 1) -> local (cost -weight) -> sink
(capacity = the local's remaining capacity), plus a bypass newcomer -> sink at
cost 0 for newcomers left unmatched.

Certificate (`certified_assign`): the solver runs on a pruned set of arcs;
dual prices are then read off the optimal flow (`prices`: shortest distances
in the residual network), newcomer price u and local price v with
``u[n] + v[l] >= weight`` on every solver arc and equality on every chosen
pair, ``u = 0`` for unmatched newcomers and ``v = 0`` for locals with room
left. If every other eligible pair also satisfies ``u[n] + v[l] >= weight``,
(u, v) is a feasible solution of the dual LP whose value equals the matching's
weight, which proves the matching optimal over all pairs. Pairs that break
it are added and the pruned problem is solved again.
"""

from __future__ import annotations

import numpy as np

SCALE = 1_000_000
# Arcs whose slack under the current prices is below this many score units go into
# the next solve: prices move when the problem changes, and a margin saves rounds.
NEAR = 0.04
MAX_ROUNDS = 30
_CHECK_BLOCK = 4_000_000


def scaled(score: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(score, dtype=float) * SCALE).astype(np.int64)


def score_unit(objective: str, n_newcomers: int) -> int:
    """The integer weight of one score unit (1.0) under `pair_weights`."""
    return SCALE * (n_newcomers + 1) if objective == "total_score" else SCALE


def pair_weights(score: np.ndarray, objective: str, n_newcomers: int) -> np.ndarray:
    w = scaled(score)
    if objective == "total_score":
        return w * (n_newcomers + 1) + 1
    return w + SCALE * (n_newcomers + 1)


def assign(
    cl: np.ndarray,
    cn: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    n_newcomers: int,
) -> np.ndarray:
    """Bool array over the arcs: is (cl[i], cn[i]) in a maximum-weight assignment?

    The arcs must be unique pairs with positive integer weights; locals'
    capacities are ``capacity[cl]``.
    """
    m = len(cl)
    if m == 0:
        return np.zeros(0, dtype=bool)
    n_locals = len(capacity)
    source, sink = n_newcomers + n_locals, n_newcomers + n_locals + 1
    active = np.unique(cn)
    used_locals = np.unique(cl)
    a = len(active)
    tails = [np.full(a, source), cn, n_newcomers + used_locals, active]
    heads = [active, n_newcomers + cl, np.full(len(used_locals), sink), np.full(a, sink)]
    caps = [np.ones(a), np.ones(m), capacity[used_locals], np.ones(a)]
    costs = [np.zeros(a), -np.asarray(weight), np.zeros(len(used_locals)), np.zeros(a)]
    from ortools.graph.python import min_cost_flow  # slow to import; only when solving

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([a, -a], dtype=np.int64)
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return flow.flows(arcs[a : a + m]) > 0


def _segments(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ranges starts[i]:ends[i]."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def prices(
    cl: np.ndarray,
    cn: np.ndarray,
    weight: np.ndarray,
    chosen: np.ndarray,
    capacity: np.ndarray,
    n_newcomers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal dual prices (u per newcomer, v per local) of an optimal assignment.

    Shortest distances d from the sink in the residual network (pair arcs taken
    as uncapacitated, which changes no feasible flow since a newcomer carries
    one unit): newcomer -> local at -w for every arc, local -> newcomer at +w
    for chosen pairs, local -> sink if it has room, sink -> local if it has
    someone, newcomer -> sink if matched, sink -> newcomer if not. Then
    u = max(0, d[n]) and v = max(0, -d[l]). A matched newcomer's only way in
    is from its local, so the label-correcting loop alternates locals and
    newcomers over a shrinking frontier; no negative cycle exists at an optimum.
    """
    n_locals = len(capacity)
    inf = np.iinfo(np.int64).max // 4
    load = np.bincount(cl[chosen], minlength=n_locals)
    dl = np.where(load > 0, 0, inf).astype(np.int64)
    match_l = np.full(n_newcomers, -1, dtype=np.int64)
    match_w = np.zeros(n_newcomers, dtype=np.int64)
    match_l[cn[chosen]] = cl[chosen]
    match_w[cn[chosen]] = weight[chosen]
    matched = match_l >= 0
    dn = np.zeros(n_newcomers, dtype=np.int64)
    dn[matched] = match_w[matched]  # dl of a loaded local starts at 0
    order = np.argsort(cn, kind="stable")
    arc_l = cl[order].astype(np.int64)
    arc_w = np.asarray(weight)[order]
    start = np.searchsorted(cn[order], np.arange(n_newcomers + 1))
    who = np.flatnonzero(matched)
    who = who[np.argsort(match_l[who], kind="stable")]
    mstart = np.searchsorted(match_l[who], np.arange(n_locals + 1))
    frontier = np.arange(n_newcomers)
    for _ in range(4 * (n_newcomers + n_locals) + 4):
        arcs = _segments(start[frontier], start[frontier + 1])
        if len(arcs) == 0:
            break
        tails = np.repeat(frontier, start[frontier + 1] - start[frontier])
        reach = dn[tails] - arc_w[arcs]
        heads = arc_l[arcs]
        better = reach < dl[heads]
        if not better.any():
            break
        heads, reach = heads[better], reach[better]
        first = np.lexsort((reach, heads))
        heads, reach = heads[first], reach[first]
        lead = np.r_[True, heads[1:] != heads[:-1]]
        changed = heads[lead]
        dl[changed] = reach[lead]
        nn = who[_segments(mstart[changed], mstart[changed + 1])]
        reach = dl[match_l[nn]] + match_w[nn]
        better = reach < dn[nn]
        frontier = nn[better]
        dn[frontier] = reach[better]
    else:  # pragma: no cover - impossible for an optimal flow
        raise RuntimeError("negative cycle: the assignment is not optimal")
    return np.maximum(dn, 0), np.maximum(-dl, 0)


def certified_assign(
    cl: np.ndarray,
    cn: np.ndarray,
    score: np.ndarray,
    capacity: np.ndarray,
    n_newcomers: int,
    keep: np.ndarray,
    objective: str = "total_score",
) -> tuple[np.ndarray, bool, int, int]:
    """Solve on the arcs in `keep`, then prove optimality over all arcs or solve again.

    After each solve, every arc's slack ``u[n] + v[l] - weight`` is checked
    (first in float32 with a margin, then exactly in integers for the few
    close ones). No negative slack: proven optimal. Otherwise the next solve
    runs on the arcs with slack below NEAR score units and the current pairs;
    the first round's arc set is dropped (its prices are good enough to say
    which arcs matter), later rounds only grow, so the loop ends.

    Returns (chosen arc indices, proven, solver arcs in the last solve, rounds).
    """
    unit = score_unit(objective, n_newcomers)
    # weight / unit = rint(score * SCALE) / SCALE + offset (1 / unit, or n + 1 for
    # coverage): the screen compares u + (v - offset) with the score itself in float32.
    offset = pair_weights(np.zeros(1), objective, n_newcomers)[0] / unit
    score32 = score.astype(np.float32)
    keep = keep.copy()
    chosen, solved = np.zeros(0, dtype=np.int64), 0
    for rounds in range(1, MAX_ROUNDS + 1):
        idx = np.flatnonzero(keep)
        weight = pair_weights(score[idx], objective, n_newcomers)
        picked = assign(cl[idx], cn[idx], weight, capacity, n_newcomers)
        u, v = prices(cl[idx], cn[idx], weight, picked, capacity, n_newcomers)
        chosen, solved = idx[picked], len(idx)
        close = _close_arcs(cl, cn, score32, u / unit, v / unit - offset)
        exact = u[cn[close]] + v[cl[close]] - pair_weights(score[close], objective, n_newcomers)
        if not (exact < 0).any():
            return chosen, True, solved, rounds
        if rounds == 1:
            keep[:] = False
            keep[chosen] = True
        keep[close] = True
    return chosen, False, solved, MAX_ROUNDS


def _close_arcs(
    cl: np.ndarray, cn: np.ndarray, score32: np.ndarray, u: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """Arcs whose slack ``u[n] + v[l] - score`` may be below NEAR, screened in float32.

    The margin covers the rounding of scores to 1e-6 and float32's error, which grows
    with the size of the prices (coverage prices are about the number of newcomers).
    """
    u32, v32 = u.astype(np.float32), v.astype(np.float32)
    size = float(np.abs(u32).max(initial=0) + np.abs(v32).max(initial=0) + 1)
    margin = np.float32(NEAR + 1e-4 + 4 * np.finfo(np.float32).eps * size)
    close = []
    for s in range(0, len(cl), _CHECK_BLOCK):
        block = slice(s, s + _CHECK_BLOCK)
        slack = u32[cn[block]]
        slack += v32[cl[block]]
        slack -= score32[block]
        close.append(np.flatnonzero(slack < margin) + s)
    return np.concatenate(close)


def top_pairs(
    cl: np.ndarray, cn: np.ndarray, score: np.ndarray, capacity: np.ndarray, k: int
) -> np.ndarray:
    """Bool mask keeping about each newcomer's k best pairs and each local's k x capacity best.

    Keeping the locals' own top lists is what protects popular locals: newcomer
    top-k alone loses most of the optimum when scores correlate. Scores are
    binned (BINS levels between the lowest and highest score), so a group keeps
    every pair in the bin of its k-th best: a few more than k on ties, never
    fewer. The certificate makes the result exact whatever is kept.
    """
    keep = np.zeros(len(cl), dtype=bool)
    if len(cl) == 0:
        return keep
    low, high = float(score.min()), float(score.max())
    scale = (BINS - 1e-9) / (high - low) if high > low else 0.0
    # One 8-byte buffer serves the levels and both keys: fresh arrays of millions of
    # elements cost page faults and zeroing (in a VM, more system time than the work).
    buffer = np.empty(len(cl), dtype=np.int64)
    work = buffer.view(np.float64)
    np.subtract(high, score, out=work)
    work *= scale
    level = work.astype(np.uint8)  # 0 = best
    for group, limit in ((cn, np.full(int(cn.max()) + 1, k)), (cl, k * capacity)):
        n = len(limit)
        # in int64 (no overflow from int32 ids; bincount's own type, so it makes no copy)
        key = np.multiply(group, BINS, out=buffer, dtype=np.int64)
        key += level
        counts = np.bincount(key, minlength=n * BINS).reshape(n, BINS).cumsum(axis=1)
        # one past the first level at which the group has `limit` pairs (the last if
        # never); uint8, since a small gather is half the cost of an int64 one
        cut = np.minimum((counts < limit[:, None]).sum(axis=1), BINS - 1) + 1
        cut[limit <= 0] = 0
        keep |= level < cut.astype(np.uint8)[group]
    return keep


BINS = 64
