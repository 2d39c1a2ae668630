"""Tandem's matching engine: exact, explained, capacity-aware tandem suggestions.

>>> from matching import solve
>>> result = solve({"today": "2026-05-01", "locals": [], "newcomers": []})
>>> result.to_dict()["pairs"]
[]
"""

from .instance import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    LEVELS,
    SLOTS,
    InputError,
    Instance,
    Local,
    Newcomer,
    Person,
    Settings,
    parse_instance,
)
from .learn import LearnedWeights, learn_weights
from .rules import RULES
from .solve import Pair, Result, Unmatched, solve

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "LEVELS",
    "RULES",
    "SLOTS",
    "InputError",
    "Instance",
    "LearnedWeights",
    "Local",
    "Newcomer",
    "Pair",
    "Person",
    "Result",
    "Settings",
    "Unmatched",
    "learn_weights",
    "parse_instance",
    "solve",
]
