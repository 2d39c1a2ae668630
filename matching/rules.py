"""The six hard rules: which (local, newcomer) pairs are feasible, and why not.

Candidates come from blocking, never from all pairs: newcomers are grouped by
the rules that ignore place and time, and blocks of spatially close newcomers
meet only the compatible locals inside their bounding box; the online people
(who may meet beyond the radius) are crossed separately, language and slots
first. The rules then run vectorised over the candidate index arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager

import numpy as np

from .arrays import EARTH_RADIUS_KM, GENDER_BIT, Encoded, distance_km
from .instance import SLOTS, Settings

RULES = ("forbidden", "language", "slots", "distance", "gender", "age")
# Distances are compared with this slack so that "exactly at the limit" is feasible
# whatever the last bit of the floating-point haversine says.
DISTANCE_SLACK_KM = 1e-9
_CHUNK_PAIRS = 2_000_000
_GROUP_BLOCK = 500_000  # cells per block of the grouped path
# Up to this many (newcomer, local) cells slot exclusions are counted directly,
# above it through a subset-sum table over the 21 slot bits.
DIRECT_SLOT_COUNT_LIMIT = 1 << 22


def _any(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows where two (m, words) masks share a bit."""
    both = a & b
    return both.any(axis=1) if both.ndim == 2 else both != 0


def rule_checks(
    enc: Encoded, settings: Settings, forbidden: np.ndarray, cl: np.ndarray, cn: np.ndarray
) -> dict[str, np.ndarray]:
    """For each rule, a bool array: does the pair pass it? (No short-cuts; for explaining.)"""
    loc, new = enc.locals, enc.newcomers
    dist = distance_km(loc.axes, cl, new.axes, cn)
    return {
        "forbidden": ~_is_forbidden(forbidden, cl, cn, len(new)),
        "language": _any(loc.speaks[cl], new.speaks[cn]),
        "slots": (loc.slots[cl] & new.slots[cn]) != 0,
        "distance": (dist <= settings.max_distance_km + DISTANCE_SLACK_KM)
        | (loc.online[cl] & new.online[cn]),
        "gender": ((loc.accepts[cl] & new.gender[cn]) != 0)
        & ((new.accepts[cn] & loc.gender[cl]) != 0),
        "age": loc.vetted[cl] | ~new.minor[cn],
    }


def forbidden_keys(enc: Encoded, pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    lpos = {pid: i for i, pid in enumerate(enc.locals.ids)}
    npos = {pid: i for i, pid in enumerate(enc.newcomers.ids)}
    keys = [lpos[a] * len(enc.newcomers) + npos[b] for a, b in pairs]
    return np.unique(np.array(keys, dtype=np.int64))


def _is_forbidden(keys: np.ndarray, cl: np.ndarray, cn: np.ndarray, n_newcomers: int) -> np.ndarray:
    if len(keys) == 0:
        return np.zeros(len(cl), dtype=bool)
    pair = cl.astype(np.int64) * n_newcomers + cn
    at = np.searchsorted(keys, pair).clip(0, len(keys) - 1)
    return keys[at] == pair


def _filter(
    enc: Encoded,
    settings: Settings,
    forbidden: np.ndarray,
    cl: np.ndarray,
    cn: np.ndarray,
    dist: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the feasible pairs; cheap and selective rules first, compressing as we go."""
    loc, new = enc.locals, enc.newcomers
    keep = (loc.slots[cl] & new.slots[cn]) != 0
    cl, cn, dist = cl[keep], cn[keep], dist[keep]
    keep = ((loc.accepts[cl] & new.gender[cn]) != 0) & ((new.accepts[cn] & loc.gender[cl]) != 0)
    keep &= loc.vetted[cl] | ~new.minor[cn]
    cl, cn, dist = cl[keep], cn[keep], dist[keep]
    keep = _any(loc.speaks[cl], new.speaks[cn])
    cl, cn, dist = cl[keep], cn[keep], dist[keep]
    keep = ~_is_forbidden(forbidden, cl, cn, len(new))
    return cl[keep], cn[keep], dist[keep]


def _one_blas_thread() -> AbstractContextManager[object]:
    """One thread for the many small float32 matrix products of the spatial blocks:
    OpenBLAS would spread each over every core and spin between them (several times
    the CPU time for nothing)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def feasible_chunks(
    enc: Encoded, settings: Settings, forbidden: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (local index, newcomer index, distance km) of feasible pairs, chunk by chunk.

    Every feasible pair is yielded exactly once, in an order fixed by the
    id-sorted people. Newcomers are grouped by the rules that ignore place and
    time (language, gender, age), so each group meets only the locals it is
    compatible with, and within a group spatially close newcomers (Morton order)
    meet only the locals inside their bounding box, with bit masks for the slots
    and a dot-product distance pre-filter. Memory stays bounded by the block
    size, whatever the number of people. Online pairs beyond the radius come
    from the online cross product.
    """
    loc, new = enc.locals, enc.newcomers
    if len(loc) == 0 or len(new) == 0:
        return
    with _one_blas_thread():
        yield from _grouped_chunks(enc, settings, forbidden)
    yield from _online_chunks(enc, settings, forbidden)


def _online_chunks(
    enc: Encoded, settings: Settings, forbidden: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pairs of two online people beyond the radius (the nearby ones come elsewhere)."""
    loc, new = enc.locals, enc.newcomers
    limit = settings.max_distance_km + DISTANCE_SLACK_KM
    online_l = np.flatnonzero(loc.online)
    online_n = np.flatnonzero(new.online)
    if len(online_l) == 0 or len(online_n) == 0:
        return
    rows = max(1, _CHUNK_PAIRS // len(online_l))
    for start in range(0, len(online_n), rows):
        block = online_n[start : start + rows]
        cn = np.repeat(block, len(online_l))
        cl = np.tile(online_l, len(block))
        keep = (loc.slots[cl] & new.slots[cn]) != 0
        keep &= _any(loc.speaks[cl], new.speaks[cn])
        cl, cn = cl[keep], cn[keep]
        dist = distance_km(loc.axes, cl, new.axes, cn)
        far = dist > limit
        yield _filter(enc, settings, forbidden, cl[far], cn[far], dist[far])


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Put bit i of a 16-bit integer at bit 3i (for a 3-d Morton code)."""
    v = v.astype(np.uint64) & np.uint64(0xFFFF)
    for shift, mask in ((16, 0xFF0000FF), (8, 0x0F00F00F), (4, 0xC30C30C3), (2, 0x49249249)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask | (mask << 32))
    return v


def morton(xyz: np.ndarray) -> np.ndarray:
    """Z-order key of unit vectors (about 0.2 km resolution): close keys, close places."""
    q = np.clip(((xyz + 1.0) * 32767.5).astype(np.int64), 0, 0xFFFF)
    return (_spread_bits(q[:, 0]) | (_spread_bits(q[:, 1]) << np.uint64(1))) | (
        _spread_bits(q[:, 2]) << np.uint64(2)
    )


def _grouped_chunks(
    enc: Encoded, settings: Settings, forbidden: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    loc, new = enc.locals, enc.newcomers
    limit = settings.max_distance_km + DISTANCE_SLACK_KM
    # A generous float32 dot-product pre-filter (1 km and 1e-6 of slack); the exact
    # distance decides.
    angle = min(np.pi, (limit + 1.0) / EARTH_RADIUS_KM)
    cos_limit = np.float32(np.cos(angle) - 1e-6)
    half = 2 * np.sin(angle / 2) + 1e-6  # chord length: bounding boxes in xyz
    # Locals sorted by x, so a bounding box is a slice and two comparisons.
    by_x = np.argsort(loc.axes[0], kind="stable")
    l_axes = tuple(a[by_x] for a in loc.axes)
    # float32 unit vectors for the pre-filter: one small matrix product per block
    l_xyz32 = np.stack(l_axes).astype(np.float32)  # (3, locals)
    n_xyz32 = new.xyz.astype(np.float32)  # (newcomers, 3)
    l_slots, l_speaks = loc.slots[by_x], loc.speaks[by_x]
    l_gender, l_accepts, l_vetted = loc.gender[by_x], loc.accepts[by_x], loc.vetted[by_x]
    key = np.column_stack(
        [new.speaks.view(np.int64), new.gender, new.accepts, new.minor.astype(np.int64)]
    )
    groups, group_of = np.unique(key, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    order = np.lexsort((np.arange(len(new)), morton(new.xyz), group_of))
    bounds = np.searchsorted(group_of[order], np.arange(len(groups) + 1))
    words = new.speaks.shape[1]
    has_forbidden = np.zeros(len(new), dtype=bool)
    has_forbidden[forbidden % max(1, len(new))] = True
    for g, row in enumerate(groups):
        members = order[bounds[g] : bounds[g + 1]]
        speaks = row[:words].view(np.uint64)
        gender, accepts, minor = int(row[words]), int(row[words + 1]), bool(row[words + 2])
        fits = _any(l_speaks, speaks[None, :])
        fits &= (l_accepts & gender) != 0
        fits &= (l_gender & accepts) != 0
        if minor:
            fits &= l_vetted
        fit = np.flatnonzero(fits)  # positions in by_x order, so sorted by x
        if len(fit) == 0:
            continue
        fx = l_axes[0][fit]
        rows = int(np.clip(_GROUP_BLOCK // len(fit), 32, 2048))
        for start in range(0, len(members), rows):
            block = members[start : start + rows]
            p = tuple(a[block] for a in new.axes)
            a, b = np.searchsorted(fx, [p[0].min() - half, p[0].max() + half])
            box = fit[a:b]
            for axis in (1, 2):
                q = l_axes[axis][box]
                box = box[(q >= p[axis].min() - half) & (q <= p[axis].max() + half)]
            if len(box) == 0:
                continue
            ok = (new.slots[block, None] & l_slots[None, box]) != 0
            # The product (BLAS) is ~20x cheaper than three broadcast products and sums.
            ok &= n_xyz32[block] @ l_xyz32[:, box] >= cos_limit
            # 1-d flatnonzero and a division: several times faster than 2-d np.nonzero.
            r, c = np.divmod(np.flatnonzero(ok), len(box))
            dist = distance_km(p, r, tuple(a[box] for a in l_axes), c)
            keep = dist <= limit
            cn = block[r[keep]]
            cl = by_x[box][c[keep]]
            dist = dist[keep]
            if has_forbidden[block].any():
                keep = ~_is_forbidden(forbidden, cl, cn, len(new))
                cl, cn, dist = cl[keep], cn[keep], dist[keep]
            yield cl, cn, dist


def near_counts(
    enc: Encoded, settings: Settings, newcomers: np.ndarray, locals_: np.ndarray
) -> np.ndarray:
    """Per newcomer in `newcomers`, how many of `locals_` are within the radius (the rule's
    `distance_km`, never all pairs).

    Blocks of spatially close newcomers (Morton order) meet the locals inside their
    bounding box; a float32 dot product settles the pairs clearly inside or outside
    (1 km and 1e-6 of slack), the exact distance the band in between.
    """
    loc, new = enc.locals, enc.newcomers
    out = np.zeros(len(newcomers), dtype=np.int64)
    if len(newcomers) == 0 or len(locals_) == 0:
        return out
    limit = settings.max_distance_km + DISTANCE_SLACK_KM
    outer = min(np.pi, (limit + 1.0) / EARTH_RADIUS_KM)
    inner = max(0.0, (limit - 1.0) / EARTH_RADIUS_KM)
    cos_out = np.float32(np.cos(outer) - 1e-6)  # below: surely beyond
    cos_in = np.float32(np.cos(inner) + 1e-6)  # at or above: surely within
    half = 2 * np.sin(outer / 2) + 1e-6
    by_x = locals_[np.argsort(loc.axes[0][locals_], kind="stable")]
    l_axes = tuple(a[by_x] for a in loc.axes)
    l_xyz32 = np.stack(l_axes).astype(np.float32)  # (3, locals): see _grouped_chunks
    n_xyz32 = new.xyz[newcomers].astype(np.float32)
    order = np.argsort(morton(new.xyz[newcomers]), kind="stable")
    rows = int(np.clip(_GROUP_BLOCK // len(by_x), 32, 2048))
    for start in range(0, len(order), rows):
        sel = order[start : start + rows]
        p = tuple(a[newcomers[sel]] for a in new.axes)
        a, b = np.searchsorted(l_axes[0], [p[0].min() - half, p[0].max() + half])
        box = np.arange(a, b)
        for axis in (1, 2):
            q = l_axes[axis][box]
            box = box[(q >= p[axis].min() - half) & (q <= p[axis].max() + half)]
        if len(box) == 0:
            continue
        dot = n_xyz32[sel] @ l_xyz32[:, box]
        sure = dot >= cos_in
        count = sure.sum(axis=1)
        r, c = np.divmod(np.flatnonzero((dot >= cos_out) & ~sure), len(box))
        if len(r):
            dist = distance_km(p, r, tuple(a[box] for a in l_axes), c)
            count += np.bincount(r[dist <= limit], minlength=len(sel))
        out[sel] = count
    return out


def exclusion_counts(
    enc: Encoded, settings: Settings, forbidden: np.ndarray, newcomers: np.ndarray
) -> np.ndarray:
    """(len(newcomers), len(RULES)) counts of locals each rule excludes, per newcomer.

    A local failing several rules counts once under each. Computed by grouping
    (distinct language masks, a subset-sum table over the 21 slot bits, `near_counts`,
    a gender table), so it never visits all pairs.
    """
    loc, new = enc.locals, enc.newcomers
    n_locals = len(loc)
    out = np.zeros((len(newcomers), len(RULES)), dtype=np.int64)
    if len(newcomers) == 0 or n_locals == 0:
        return out
    # forbidden
    if len(forbidden):
        per_newcomer = np.bincount(forbidden % len(new), minlength=len(new))
        out[:, 0] = per_newcomer[newcomers]
    # language: locals sharing no language at min_level with the newcomer
    masks, inverse = np.unique(new.speaks[newcomers], axis=0, return_inverse=True)
    disjoint = np.array([(~_any(loc.speaks, m[None, :])).sum() for m in masks], dtype=np.int64)
    out[:, 1] = disjoint[inverse.reshape(-1)]
    # slots: number of locals whose slot set is a subset of the newcomer's complement
    full = (1 << len(SLOTS)) - 1
    if len(newcomers) * n_locals <= DIRECT_SLOT_COUNT_LIMIT:
        crossed = new.slots[newcomers][:, None] & loc.slots[None, :]
        out[:, 2] = (crossed == 0).sum(axis=1)
    else:
        table = np.bincount(loc.slots.astype(np.int64), minlength=full + 1)
        for bit in range(len(SLOTS)):
            view = table.reshape(-1, 2, 1 << bit)
            view[:, 1, :] += view[:, 0, :]
        out[:, 2] = table[full ^ new.slots[newcomers].astype(np.int64)]
    # distance: beyond the radius, unless both are online
    everyone = np.arange(n_locals)
    with _one_blas_thread():
        beyond = n_locals - near_counts(enc, settings, newcomers, everyone)
        online_l = np.flatnonzero(loc.online)
        online_n = np.flatnonzero(new.online[newcomers])
        if len(online_l) and len(online_n):
            online_near = near_counts(enc, settings, newcomers[online_n], online_l)
            beyond[online_n] -= len(online_l) - online_near
    out[:, 3] = beyond
    # gender: a 4 x 16 table of locals by (gender bit, accepted genders)
    bits = list(GENDER_BIT.values())
    count = np.zeros((16, 16), dtype=np.int64)
    np.add.at(count, (loc.gender, loc.accepts), 1)
    passing = np.zeros((16, 16), dtype=np.int64)  # [newcomer gender, newcomer accepts]
    for g_new in bits:
        for a_new in range(16):
            passing[g_new, a_new] = sum(
                count[g_loc, a_loc]
                for g_loc in bits
                for a_loc in range(16)
                if a_new & g_loc and a_loc & g_new
            )
    out[:, 4] = n_locals - passing[new.gender[newcomers], new.accepts[newcomers]]
    # age
    out[:, 5] = np.where(new.minor[newcomers], n_locals - int(loc.vetted.sum()), 0)
    return out
