"""Score components of candidate pairs, each in [0, 1], vectorised.

| component      | value                                                              |
|----------------|--------------------------------------------------------------------|
| interests      | shared interests, one third each, at most 1                        |
| offers_needs   | share of the newcomer's needs the local offers (0 if none needed)  |
| availability   | shared weekly slots, one third each, at most 1                     |
| nearness       | 1 - distance / max_distance_km, at least 0 (online pairs beyond: 0)|
| language       | 0.7 x how well the local speaks a language the newcomer learns     |
|                | + 0.3 x how well the newcomer speaks a language the local learns   |
|                | (C1 or better 1, B2 0.75, B1 0.5, else 0)                          |
| waiting        | days since waiting_since / 365, at most 1                          |

The score is the weighted mean of the components (weights / sum of weights).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .arrays import PRACTICE_LEVELS, Encoded, Side, popcount
from .instance import COMPONENTS, Settings

FULL_AT = 3  # shared interests / slots that count as a perfect fit
WAITING_FULL_DAYS = 365
NEWCOMER_PRACTICE_SHARE = 0.7


def _practice_table(speaker: Side, learner: Side) -> tuple[np.ndarray, np.ndarray, int]:
    """Fit of each speaker for each distinct learning set: (flat table, learner's set number).

    Few distinct learning sets exist, so one small table replaces six gathers per
    pair; ``table[speaker * n_sets + set]`` is the fit.
    """
    sets, which = np.unique(learner.learning, axis=0, return_inverse=True)
    table = np.zeros((len(speaker), len(sets)))
    # PRACTICE_LEVELS runs from best to weakest; going backwards, stronger hits overwrite.
    for masks, (_, fit) in reversed(list(zip(speaker.practice, PRACTICE_LEVELS, strict=True))):
        hit = (masks[:, None, :] & sets[None, :, :]).any(axis=2)
        table = np.where(hit, fit, table)
    return table.ravel(), which.reshape(-1), len(sets)


def _flat(masks: np.ndarray) -> np.ndarray:
    """Single-word masks as a 1-d array (faster to gather), others unchanged."""
    return masks[:, 0] if masks.ndim == 2 and masks.shape[1] == 1 else masks


def _tables(enc: Encoded) -> dict:
    """Per-person lookups for the components, computed once per encoded instance."""
    if not enc.cache.get("score_tables"):
        loc, new = enc.locals, enc.newcomers
        topics = 64 * loc.topics.shape[1] + 1
        needs = np.arange(topics)[:, None]
        met = np.arange(topics)[None, :]
        ratio = np.divide(met, needs, out=np.zeros((topics, topics)), where=(needs > 0))
        enc.cache["score_tables"] = {
            "share": np.minimum(np.arange(65), FULL_AT) / FULL_AT,  # by number shared
            "ratio": ratio.ravel(),  # [needs * topics + met]: met / needs, 0 if no needs
            "needs_row": new.n_topics * topics,
            "interests": (_flat(loc.interests), _flat(new.interests)),
            "topics": (_flat(loc.topics), _flat(new.topics)),
            "newcomer_side": _practice_table(loc, new),
            "local_side": _practice_table(new, loc),
            "waiting": np.minimum(new.waiting_days / WAITING_FULL_DAYS, 1.0),
        }
    return enc.cache["score_tables"]


def _shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Set bits of a & b per row, for (m, words) uint64 masks or 1-d masks (at most 64)."""
    if a.ndim == 2:
        return np.minimum(popcount(a & b), 64)
    return np.bitwise_count(a & b)


def _nearness(settings: Settings, dist: np.ndarray) -> np.ndarray:
    limit = settings.max_distance_km
    if limit > 0:
        return np.clip(1.0 - dist / limit, 0.0, 1.0)
    return (dist <= 1e-9).astype(float)


def _language(tables: dict, cl: np.ndarray, cn: np.ndarray) -> np.ndarray:
    table, which, n_sets = tables["newcomer_side"]
    newcomer_side = table[cl * n_sets + which[cn]]
    table, which, n_sets = tables["local_side"]
    local_side = table[cn * n_sets + which[cl]]
    newcomer_side *= NEWCOMER_PRACTICE_SHARE
    local_side *= 1 - NEWCOMER_PRACTICE_SHARE
    newcomer_side += local_side
    return newcomer_side


def _columns(
    enc: Encoded, settings: Settings, cl: np.ndarray, cn: np.ndarray, dist: np.ndarray
) -> Iterator[np.ndarray]:
    """Yield the components of the pairs (cl[i], cn[i]) one by one, in COMPONENTS order."""
    loc, new = enc.locals, enc.newcomers
    tables = _tables(enc)
    share = tables["share"]
    a, b = tables["interests"]
    yield share[_shared(a[cl], b[cn])]
    a, b = tables["topics"]
    yield tables["ratio"][tables["needs_row"][cn] + _shared(a[cl], b[cn])]
    yield share[_shared(loc.slots[cl], new.slots[cn])]
    yield _nearness(settings, dist)
    yield _language(tables, cl, cn)
    yield tables["waiting"][cn]


def components(
    enc: Encoded, settings: Settings, cl: np.ndarray, cn: np.ndarray, dist: np.ndarray
) -> np.ndarray:
    """(m, len(COMPONENTS)) array of components for the pairs (cl[i], cn[i])."""
    out = np.empty((len(cl), len(COMPONENTS)))
    for i, column in enumerate(_columns(enc, settings, cl, cn, dist)):
        out[:, i] = column
    return out


def weight_vector(settings: Settings) -> np.ndarray:
    w = np.array([settings.weights[c] for c in COMPONENTS], dtype=float)
    return w / w.sum()


def _weighted(columns: Iterable[np.ndarray], settings: Settings) -> np.ndarray:
    # Summed column by column in COMPONENTS order, so `scores` and `pair_scores`
    # give bit-identical results.
    total = None
    for column, w in zip(columns, weight_vector(settings), strict=True):
        if total is None:
            total = column * w
        else:
            total += column * w
    assert total is not None  # COMPONENTS is not empty
    return np.clip(total, 0.0, 1.0, out=total)


def scores(comps: np.ndarray, settings: Settings) -> np.ndarray:
    """Weighted mean of the components, clipped against rounding to [0, 1]."""
    return _weighted((comps[:, i] for i in range(comps.shape[1])), settings)


def pair_scores(
    enc: Encoded, settings: Settings, cl: np.ndarray, cn: np.ndarray, dist: np.ndarray
) -> np.ndarray:
    """`scores(components(...))`, bit for bit, without the (m, 6) array.

    Components read from a table are read from the table times their weight
    (the same products), so each costs one gather.
    """
    loc, new = enc.locals, enc.newcomers
    tables = _tables(enc)
    w = weight_vector(settings)
    share = tables["share"]
    a, b = tables["interests"]
    total = (share * w[0])[_shared(a[cl], b[cn])]
    a, b = tables["topics"]
    total += (tables["ratio"] * w[1])[tables["needs_row"][cn] + _shared(a[cl], b[cn])]
    total += (share * w[2])[_shared(loc.slots[cl], new.slots[cn])]
    near = _nearness(settings, dist)
    near *= w[3]
    total += near
    language = _language(tables, cl, cn)
    language *= w[4]
    total += language
    total += (tables["waiting"] * w[5])[cn]
    return np.clip(total, 0.0, 1.0, out=total)
