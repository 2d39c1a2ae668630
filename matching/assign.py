"""Exact assignment by min-cost flow (OR-Tools), and candidate pruning for huge instances.

Network: source -> newcomer (capacity 1) -> local (capacity 1, cost -score)
-> sink (capacity = the local's remaining capacity). Scores are scaled to
integers (SCALE) and rounded, so the optimum is exact to 1e-6 per pair.

* ``total_score``: every newcomer also has a bypass arc to the sink at cost 0;
  a pair costs ``-(score * K + 1)`` with K larger than the number of newcomers,
  so the total score is maximised first and, among equal totals, the number of
  pairs.
* ``coverage``: no bypass; the maximum flow (most newcomers matched) is found
  first, and among those the one of least cost (highest total score).
"""

from __future__ import annotations

import numpy as np

SCALE = 1_000_000


def scaled(score: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(score, dtype=float) * SCALE).astype(np.int64)


def assign(
    cl: np.ndarray,
    cn: np.ndarray,
    score: np.ndarray,
    capacity: np.ndarray,
    n_newcomers: int,
    objective: str = "total_score",
) -> np.ndarray:
    """Return a bool array over the arcs: is (cl[i], cn[i]) in the optimal assignment?

    The arcs must be unique pairs; locals' capacities are ``capacity[cl]``.
    """
    m = len(cl)
    if m == 0:
        return np.zeros(0, dtype=bool)
    n_locals = len(capacity)
    source, sink = n_newcomers + n_locals, n_newcomers + n_locals + 1
    active = np.unique(cn)
    used_locals = np.unique(cl)
    w = scaled(score)
    if objective == "total_score":
        k = len(active) + 1
        pair_cost = -(w * k + 1)
    else:
        pair_cost = -w
    tails = [np.full(len(active), source), cn, n_newcomers + used_locals]
    heads = [active, n_newcomers + cl, np.full(len(used_locals), sink)]
    caps = [np.ones(len(active)), np.ones(m), capacity[used_locals]]
    costs = [np.zeros(len(active)), pair_cost, np.zeros(len(used_locals))]
    if objective == "total_score":
        tails.append(active)
        heads.append(np.full(len(active), sink))
        caps.append(np.ones(len(active)))
        costs.append(np.zeros(len(active)))
    from ortools.graph.python import min_cost_flow  # slow to import; only when solving

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    if objective == "total_score":
        flow.set_nodes_supplies(
            np.array([source, sink], dtype=np.int32),
            np.array([len(active), -len(active)], dtype=np.int64),
        )
        status = flow.solve()
    else:
        flow.set_nodes_supplies(
            np.array([source, sink], dtype=np.int32),
            np.array([len(active), -len(active)], dtype=np.int64),
        )
        status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    pair_arcs = arcs[len(active) : len(active) + m]
    return flow.flows(pair_arcs) > 0


def top_pairs(
    cl: np.ndarray, cn: np.ndarray, score: np.ndarray, capacity: np.ndarray, k: int
) -> np.ndarray:
    """Bool mask keeping each newcomer's k best pairs and each local's k x capacity best.

    Keeping the locals' own top lists is what protects popular locals: newcomer
    top-k alone loses most of the optimum when scores correlate. Ties keep the
    arcs' order (a stable sort), which is fixed by the sorted ids.
    """
    keep = np.zeros(len(cl), dtype=bool)
    if len(cl) == 0:
        return keep
    descending = SCALE - scaled(score)
    n_newcomers = int(cn.max()) + 1
    for group, limit in ((cn, np.full(n_newcomers, k)), (cl, k * capacity)):
        key = group.astype(np.int64) * (SCALE + 1) + descending
        order = np.argsort(key, kind="stable")
        sorted_group = group[order]
        starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
        lengths = np.diff(np.r_[starts, len(order)])
        rank = np.arange(len(order)) - np.repeat(starts, lengths)
        keep[order[rank < limit[sorted_group]]] = True
    return keep
