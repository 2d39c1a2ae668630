"""People as numpy arrays, sorted by id, with sets packed into uint64 bit masks.

Sorting by id makes every later step independent of the input order; bit masks
let the rules and scores run over millions of candidate pairs without Python
loops (``np.bitwise_count`` of an AND is the size of an intersection).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .instance import GENDERS, LEVELS, SLOTS, Instance, Local, Newcomer, Person

EARTH_RADIUS_KM = 6371.0088
GENDER_BIT = {"female": 1, "male": 2, "diverse": 4, None: 8}
ANYONE = 15
SLOT_BIT = {slot: 1 << i for i, slot in enumerate(SLOTS)}
RANK = {level: i for i, level in enumerate(LEVELS)}
# Language fit for practising: a partner at C1 or better is ideal, B1 still helps.
PRACTICE_LEVELS = (("C1", 1.0), ("B2", 0.75), ("B1", 0.5))


class Vocabulary:
    """A sorted list of keys, each given one bit in a multi-word mask."""

    def __init__(self, keys: Iterable[str], *, ordered: bool = False) -> None:
        self.keys = list(keys) if ordered else sorted(keys)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.words = max(1, (len(self.keys) + 63) // 64)

    def masks(self, sets: list) -> np.ndarray:
        rows, bits = self.flat(sets)
        return self.pack(len(sets), rows, bits)

    def flat(self, sets: list) -> tuple[np.ndarray, np.ndarray]:
        """(row, bit) of every key in every set, as two arrays."""
        index = self.index
        lengths = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
        total = int(lengths.sum())
        bits = np.fromiter((index[k] for keys in sets for k in keys), dtype=np.int64, count=total)
        return np.repeat(np.arange(len(sets)), lengths), bits

    def pack(self, n: int, rows: np.ndarray, bits: np.ndarray) -> np.ndarray:
        out = np.zeros((n, self.words), dtype=np.uint64)
        one = np.left_shift(np.uint64(1), (bits & 63).astype(np.uint64))
        np.bitwise_or.at(out, (rows, bits >> 6), one)
        return out

    def items(self, mask_row: np.ndarray) -> list[str]:
        found = []
        for word, value in enumerate(int(v) for v in mask_row):
            while value:
                low = value & -value
                found.append(self.keys[word * 64 + low.bit_length() - 1])
                value ^= low
        return found


SLOT_VOCABULARY = Vocabulary(SLOTS, ordered=True)  # bit i is SLOTS[i], as in SLOT_BIT


@dataclass
class Side:
    people: list[Person]
    ids: list[str]
    lat: np.ndarray  # radians
    lon: np.ndarray
    xyz: np.ndarray  # (n, 3) unit vectors
    axes: tuple  # xyz as three contiguous arrays (x, y, z)
    online: np.ndarray
    gender: np.ndarray  # GENDER_BIT
    accepts: np.ndarray  # mask of GENDER_BIT values accepted
    speaks: np.ndarray  # (n, words) languages spoken at min_level or better
    practice: list[np.ndarray]  # masks at C1+, B2+, B1+ (PRACTICE_LEVELS)
    learning: np.ndarray
    slots: np.ndarray  # uint32 bit per SLOTS entry
    n_slots: np.ndarray
    interests: np.ndarray
    n_interests: np.ndarray
    topics: np.ndarray  # offers (locals) or needs (newcomers)
    n_topics: np.ndarray
    capacity: np.ndarray  # locals: capacity from the instance; newcomers: 1
    vetted: np.ndarray
    minor: np.ndarray
    waiting_days: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Encoded:
    locals: Side
    newcomers: Side
    languages: Vocabulary
    interests: Vocabulary
    topics: Vocabulary
    cache: dict = field(default_factory=dict)  # derived lookups (see scores._tables)


def popcount(masks: np.ndarray) -> np.ndarray:
    """Bits set per row of a (n, words) uint64 array (or per element of a 1-d array)."""
    counts = np.bitwise_count(masks)
    return counts.sum(axis=1, dtype=np.int64) if counts.ndim == 2 else counts.astype(np.int64)


def _side(people: list, inst: Instance, vocab: dict[str, Vocabulary], is_local: bool) -> Side:
    min_rank = RANK[inst.settings.min_level]
    n = len(people)

    languages = vocab["languages"]
    lang_rows, lang_bits = languages.flat([p.languages for p in people])
    lang_rank = np.fromiter(
        (RANK[lv] for p in people for lv in p.languages.values()),
        dtype=np.int64,
        count=len(lang_rows),
    )

    def spoken_at(rank: int) -> np.ndarray:
        at = lang_rank >= rank
        return languages.pack(n, lang_rows[at], lang_bits[at])

    slot_rows, slot_bits = SLOT_VOCABULARY.flat([p.slots for p in people])
    slots = SLOT_VOCABULARY.pack(n, slot_rows, slot_bits)[:, 0].astype(np.uint32)
    interest_masks = vocab["interests"].masks([p.interests for p in people])
    topic_sets = [p.offers if is_local else p.needs for p in people]
    topic_masks = vocab["topics"].masks(topic_sets)
    if is_local:
        capacity = np.array([p.capacity for p in people], dtype=np.int64)
        vetted = np.array([p.vetted for p in people], dtype=bool)
        minor = np.zeros(n, dtype=bool)
        waiting = np.zeros(n)
    else:
        capacity = np.ones(n, dtype=np.int64)
        vetted = np.zeros(n, dtype=bool)
        minor = np.array(
            [p.birth_year is not None and inst.today.year - p.birth_year < 18 for p in people],
            dtype=bool,
        )
        waiting = np.array([_waiting_days(p, inst.today) for p in people], dtype=float)
    lat = np.radians(np.array([p.lat for p in people], dtype=float))
    lon = np.radians(np.array([p.lon for p in people], dtype=float))
    axes = (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
    return Side(
        people=people,
        ids=[p.id for p in people],
        lat=lat,
        lon=lon,
        xyz=np.column_stack(axes),
        axes=axes,
        online=np.array([p.online for p in people], dtype=bool),
        gender=np.array([GENDER_BIT[p.gender] for p in people], dtype=np.uint8),
        accepts=np.array(
            [sum(GENDER_BIT[g] for g in p.partner_genders) or ANYONE for p in people],
            dtype=np.uint8,
        ),
        speaks=spoken_at(min_rank),
        practice=[spoken_at(RANK[level]) for level, _ in PRACTICE_LEVELS],
        learning=vocab["languages"].masks([p.learning for p in people]),
        slots=slots,
        n_slots=popcount(slots),
        interests=interest_masks,
        n_interests=np.array([len(p.interests) for p in people], dtype=np.int64),
        topics=topic_masks,
        n_topics=np.array([len(t) for t in topic_sets], dtype=np.int64),
        capacity=capacity,
        vetted=vetted,
        minor=minor,
        waiting_days=waiting,
    )


def _waiting_days(person: Newcomer, today: date) -> float:
    if person.waiting_since is None:
        return 0.0
    return float(max(0, (today - person.waiting_since).days))


def encode(inst: Instance) -> Encoded:
    locals_ = sorted(inst.locals, key=lambda p: p.id)
    newcomers = sorted(inst.newcomers, key=lambda p: p.id)
    everyone: list[Local | Newcomer] = [*locals_, *newcomers]
    languages = set()
    for p in everyone:
        languages |= set(p.languages) | set(p.learning)
    vocab = {
        "languages": Vocabulary(languages),
        "interests": Vocabulary(set().union(*(p.interests for p in everyone))),
        "topics": Vocabulary(
            set().union(*(p.offers for p in locals_)) | set().union(*(p.needs for p in newcomers))
        ),
    }
    assert set(GENDER_BIT) == {*GENDERS, None}
    return Encoded(
        locals=_side(locals_, inst, vocab, is_local=True),
        newcomers=_side(newcomers, inst, vocab, is_local=False),
        languages=vocab["languages"],
        interests=vocab["interests"],
        topics=vocab["topics"],
    )


def distance_km(a: tuple, ia: np.ndarray, b: tuple, ib: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points a[ia] and b[ib] (`Side.axes`: x, y, z).

    The arc of the chord between unit vectors, ``2 R asin(|p - q| / 2)``: the
    haversine formula, since ``sin(angle / 2) = |p - q| / 2``, but without
    trigonometry per pair and accurate to about 1e-12 km.
    """
    total = np.zeros(len(ia))
    for u, w in zip(a, b, strict=True):
        d = u[ia] - w[ib]
        d *= d
        total += d
    np.sqrt(total, out=total)
    total *= 0.5
    np.minimum(total, 1.0, out=total)
    np.arcsin(total, out=total)
    total *= 2 * EARTH_RADIUS_KM
    return total
