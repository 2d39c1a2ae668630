"""A region's matching settings: component weights, minimum language level, distance.

Shown with the engine's defaults where a region has none, edited with a
preview (the engine runs on the region's people with the proposed settings
and nothing is stored), and offered as "learned from your decisions" once
coordinators have confirmed and rejected enough suggestions. Nothing changes
without a coordinator's click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

import matching
from matching.learn import MIN_DECISIONS as LEARN_MIN_DECISIONS
from matching.learn import NotEnoughDecisions
from web.core import audit
from web.core.forms import single
from web.core.i18n import N_
from web.core.models import Coordinator, Region, Tandem, utcnow
from web.runs.runs import load_region_input

# What each score component means, in a coordinator's words (keys: matching.COMPONENTS).
COMPONENT_TEXT = {
    "interests": (
        N_("Shared interests"),
        N_("Interests both listed: a third for each shared one, at most the full value."),
    ),
    "offers_needs": (
        N_("Help that fits"),
        N_("How much of what the newcomer would like help with the local offers."),
    ),
    "availability": (
        N_("Common times"),
        N_("Times in the week both have: a third for each shared one, at most the full value."),
    ),
    "nearness": (
        N_("Nearness"),
        N_("Full value when they live in the same place, nothing at the maximum distance."),
    ),
    "language": (
        N_("Language practice"),
        N_(
            "How well the local speaks a language the newcomer is learning, and a little "
            "the other way round."
        ),
    ),
    "waiting": (
        N_("Waiting time"),
        N_("How long the newcomer has waited; a full year counts fully. Keeps it fair."),
    ),
}
LEVEL_CHOICES = ("A1", "A2", "B1", "B2", "C1", "C2")
MIN_DISTANCE_KM, MAX_DISTANCE_KM = 1, 200
# The engine's learner needs this many decisions, with at least CV_FOLDS of each kind
# (issue 15 §7: fewer gave "1.00 ± 0.00" from 21 decisions).
MIN_DECISIONS, CV_FOLDS = LEARN_MIN_DECISIONS, 5
# Rejections for a reason about a person, not about how the pair fits ("known issue with
# one of them"): the score's parts cannot explain them, so the learner never sees them.
PERSON_REASONS = ("known_issue",)
# An interval wider than this (of a weight's share, 0–1) is reported as "still uncertain".
UNCERTAIN_WIDTH = 0.3
# A coordinator's yes: proposed, and whatever a proposal became afterwards
# (a partner's later "no" or silence does not undo the coordinator's decision).
POSITIVE = ("proposed", "active", "ended", "declined", "expired")
NEGATIVE = ("rejected",)


def current_weights(region: Region) -> dict[str, float]:
    """The weights in use: the region's own, the engine's defaults for the rest."""
    stored = region.weights or {}
    return {
        name: float(stored.get(name, matching.DEFAULT_WEIGHTS[name]))
        for name in matching.COMPONENTS
    }


def shares(weights: dict[str, float]) -> dict[str, float]:
    """Each weight as its part of the score (the engine divides by the sum)."""
    total = sum(weights.values())
    return {name: (value / total if total else 0.0) for name, value in weights.items()}


# --- the form ---------------------------------------------------------------------------


@dataclass
class WeightsForm:
    """What the coordinator typed (kept on errors), the parsed values, and errors per field."""

    weights: dict[str, str]
    min_level: str = "B1"
    max_distance_km: str = "25"
    values: dict[str, float] = field(default_factory=dict)
    distance: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> float | None:
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _plain(number: float) -> str:
    return f"{number:.4f}".rstrip("0").rstrip(".") or "0"


def form_for(region: Region) -> WeightsForm:
    return WeightsForm(
        weights={name: _plain(value) for name, value in current_weights(region).items()},
        min_level=region.min_level,
        max_distance_km=_plain(region.max_distance_km),
    )


def parse_weights_form(data: dict[str, Any], *, with_settings: bool = True) -> WeightsForm:
    """Check every field; ``form.errors`` is empty when the form is valid.

    Without ``with_settings`` only the weights are read (adopting learned weights)."""
    form = WeightsForm(
        weights={name: single(data, f"weight_{name}")[:20] for name in matching.COMPONENTS}
    )
    for name, text in form.weights.items():
        number = _number(text)
        if number is None or not 0 <= number <= 1:
            form.errors[f"weight_{name}"] = N_("Please enter a number from 0 to 1.")
        else:
            form.values[name] = number
    if len(form.values) == len(matching.COMPONENTS) and not any(form.values.values()):
        form.errors["weights"] = N_("At least one weight must be above 0.")
    if not with_settings:
        return form
    form.min_level = single(data, "min_level")
    if form.min_level not in LEVEL_CHOICES:
        form.errors["min_level"] = N_("Please choose one of the levels.")
    form.max_distance_km = single(data, "max_distance_km").strip()[:20]
    distance = _number(form.max_distance_km)
    if distance is None or not MIN_DISTANCE_KM <= distance <= MAX_DISTANCE_KM:
        form.errors["max_distance_km"] = N_("Please enter a distance from 1 to 200 km.")
    else:
        form.distance = distance
    return form


def save(
    session: Session,
    region: Region,
    *,
    weights: dict[str, float],
    coordinator: Coordinator,
    min_level: str | None = None,
    max_distance_km: float | None = None,
    action: str = "region.weights_saved",
) -> None:
    region.weights = {name: float(weights[name]) for name in matching.COMPONENTS}
    if min_level is not None:
        region.min_level = min_level
    if max_distance_km is not None:
        region.max_distance_km = max_distance_km
    session.add(region)
    session.flush()
    audit.write(session, now=utcnow(), actor=coordinator, action=action, subject_type="region",
                 subject_id=region.id)  # fmt: skip


# --- preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    pairs: int
    total_score: float
    unmatched: int


@dataclass(frozen=True)
class Preview:
    current: Outcome
    proposed: Outcome
    new_pairs: int  # in the proposed result, not in today's
    dropped_pairs: int  # in today's result, not in the proposed one


def preview_inputs(
    session: Session, region: Region, form: WeightsForm, *, today: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine input with today's settings and with the proposed ones (reads only)."""
    current = load_region_input(session, region, today=today)
    proposed = dict(current)
    proposed["settings"] = {
        **current["settings"],
        "weights": dict(form.values),
        "min_level": form.min_level,
        "max_distance_km": form.distance,
    }
    return current, proposed


def _outcome(result: matching.Result) -> tuple[Outcome, set[tuple[str, str]]]:
    pairs = {(pair.local, pair.newcomer) for pair in result.pairs}
    total = float(result.stats.get("total_score", 0.0))
    return Outcome(len(pairs), round(total, 2), len(result.unmatched)), pairs


def run_preview(current: dict[str, Any], proposed: dict[str, Any]) -> Preview:
    """Solve both inputs (CPU work: call it from a worker thread, never the event loop)."""
    now, now_pairs = _outcome(matching.solve(current))
    then, then_pairs = _outcome(matching.solve(proposed))
    return Preview(now, then, len(then_pairs - now_pairs), len(now_pairs - then_pairs))


# --- learned from decisions ------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    decisions: int
    confirmed: int
    rejected: int
    learned: matching.LearnedWeights | None = None
    left_out: int = 0  # rejections for a reason about a person (PERSON_REASONS)

    @property
    def uncertain(self) -> list[str]:
        """The components whose learned weight is still uncertain (a wide interval)."""
        if self.learned is None:
            return []
        return [
            name
            for name, (low, high) in self.learned.intervals.items()
            if high - low > UNCERTAIN_WIDTH
        ]

    @property
    def missing(self) -> int:
        """How many more decisions the learner needs at the least."""
        lacking_kinds = max(0, CV_FOLDS - self.confirmed) + max(0, CV_FOLDS - self.rejected)
        return max(MIN_DECISIONS - self.decisions, lacking_kinds, 0)


def _usable(components: object) -> bool:
    if not isinstance(components, dict):
        return False
    values = [components.get(name) for name in matching.COMPONENTS]
    return all(isinstance(v, int | float) and 0 <= v <= 1 for v in values)


def _decision_rows(session: Session, region: Region) -> list[tuple[str, Any, str | None]]:
    return [
        (status, components, reason)
        for status, components, reason in session.execute(
            select(col(Tandem.status), col(Tandem.components), col(Tandem.reject_reason))
            .where(col(Tandem.region_id) == region.id)
            .where(col(Tandem.status).in_(POSITIVE + NEGATIVE))
            .order_by(col(Tandem.id))
        ).all()
        if _usable(components)
    ]


def _is_about_a_person(status: str, reason: str | None) -> bool:
    return status in NEGATIVE and reason in PERSON_REASONS


def _split(
    rows: list[tuple[str, Any, str | None]],
) -> tuple[list[dict[str, Any]], int]:
    """The decisions the learner reads, and how many rejections about a person it skips."""
    kept = [
        {
            "components": {name: float(components[name]) for name in matching.COMPONENTS},
            "confirmed": status in POSITIVE,
        }
        for status, components, reason in rows
        if not _is_about_a_person(status, reason)
    ]
    return kept, len(rows) - len(kept)


def decisions(session: Session, region: Region) -> list[dict[str, Any]]:
    """The region's coordinator decisions on scored pairs, as the learner reads them:
    without rejections for a reason about a person (``PERSON_REASONS``)."""
    return _split(_decision_rows(session, region))[0]


def learned_proposal(session: Session, region: Region) -> Proposal:
    found, left_out = _split(_decision_rows(session, region))
    confirmed = sum(1 for decision in found if decision["confirmed"])
    try:
        learned: matching.LearnedWeights | None = matching.learn_weights(
            found, current=current_weights(region), cv=CV_FOLDS, min_decisions=MIN_DECISIONS
        )
    except NotEnoughDecisions:
        learned = None
    return Proposal(
        decisions=len(found),
        confirmed=confirmed,
        rejected=len(found) - confirmed,
        learned=learned,
        left_out=left_out,
    )
