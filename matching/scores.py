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

import numpy as np

from .arrays import PRACTICE_LEVELS, Encoded, popcount
from .instance import COMPONENTS, Settings

FULL_AT = 3  # shared interests / slots that count as a perfect fit
WAITING_FULL_DAYS = 365
NEWCOMER_PRACTICE_SHARE = 0.7


def _practice_table(speaker, learner) -> tuple[np.ndarray, np.ndarray]:
    """Fit of each speaker for each distinct learning set: (table, learner's set number).

    Few distinct learning sets exist, so one small table replaces six gathers per pair.
    """
    sets, which = np.unique(learner.learning, axis=0, return_inverse=True)
    table = np.zeros((len(speaker), len(sets)))
    # PRACTICE_LEVELS runs from best to weakest; going backwards, stronger hits overwrite.
    for masks, (_, fit) in reversed(list(zip(speaker.practice, PRACTICE_LEVELS, strict=True))):
        hit = (masks[:, None, :] & sets[None, :, :]).any(axis=2)
        table = np.where(hit, fit, table)
    return table, which.reshape(-1)


def components(
    enc: Encoded, settings: Settings, cl: np.ndarray, cn: np.ndarray, dist: np.ndarray
) -> np.ndarray:
    """(m, len(COMPONENTS)) array of components for the pairs (cl[i], cn[i])."""
    loc, new = enc.locals, enc.newcomers
    m = len(cl)
    out = np.empty((m, len(COMPONENTS)))
    shared = popcount(loc.interests[cl] & new.interests[cn])
    out[:, 0] = np.minimum(shared, FULL_AT) / FULL_AT
    met = popcount(loc.topics[cl] & new.topics[cn])
    needs = new.n_topics[cn]
    out[:, 1] = np.divide(met, needs, out=np.zeros(m), where=needs > 0)
    slots = popcount(loc.slots[cl] & new.slots[cn])
    out[:, 2] = np.minimum(slots, FULL_AT) / FULL_AT
    limit = settings.max_distance_km
    if limit > 0:
        out[:, 3] = np.clip(1.0 - dist / limit, 0.0, 1.0)
    else:
        out[:, 3] = (dist <= 1e-9).astype(float)
    table, which = _practice_table(loc, new)
    newcomer_side = table[cl, which[cn]]
    table, which = _practice_table(new, loc)
    local_side = table[cn, which[cl]]
    share = NEWCOMER_PRACTICE_SHARE
    out[:, 4] = share * newcomer_side + (1 - share) * local_side
    out[:, 5] = np.minimum(new.waiting_days[cn] / WAITING_FULL_DAYS, 1.0)
    return out


def weight_vector(settings: Settings) -> np.ndarray:
    w = np.array([settings.weights[c] for c in COMPONENTS], dtype=float)
    return w / w.sum()


def scores(comps: np.ndarray, settings: Settings) -> np.ndarray:
    """Weighted mean of the components, clipped against rounding to [0, 1]."""
    return np.clip(comps @ weight_vector(settings), 0.0, 1.0)
