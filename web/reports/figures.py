"""The funder's figures on proposals and people (issue 15 §9), from anonymous events only.

Proposals made, accepted, declined (by reason), expired and withdrawn in a period; the
acceptance rate of the proposals closed in it; the median days from a newcomer's sign-up
to their proposal and to their tandem's start; the sign-ups of the period by role, age
group and town. Events name no person, so erasure changes none of these figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.models import Event, Place
from web.core.vocabulary import AGE_GROUPS

CLOSED = ("accepted", "declined", "expired", "withdrawn")  # what became of a proposal


@dataclass
class Figures:
    proposals: dict[str, int] = field(default_factory=dict)  # "proposed", *CLOSED → count
    declined_by_reason: dict[str, int] = field(default_factory=dict)  # "" = none recorded
    expired_by_reason: dict[str, int] = field(default_factory=dict)
    acceptance_rate: float | None = None  # accepted / closed, 0..1
    median_days_to_proposal: float | None = None
    median_days_to_tandem: float | None = None
    signups_by_role: dict[str, int] = field(default_factory=dict)
    by_age_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # newcomers, locals
    by_area: dict[str, tuple[int, int]] = field(default_factory=dict)  # town name → same


def build(session: Session, *, region_id: int, begin: datetime, end: datetime) -> Figures:
    rows = list(
        session.scalars(
            select(Event).where(
                col(Event.region_id) == region_id, col(Event.at) >= begin, col(Event.at) < end
            )
        ).all()
    )
    figures = Figures()
    kinds = Counter(event.kind for event in rows)
    figures.proposals = {kind: kinds[kind] for kind in ("proposed", *CLOSED)}
    figures.declined_by_reason = _reasons(rows, "declined")
    figures.expired_by_reason = _reasons(rows, "expired")
    closed = sum(kinds[kind] for kind in CLOSED)
    figures.acceptance_rate = kinds["accepted"] / closed if closed else None
    figures.median_days_to_proposal = _median(rows, "proposed")
    figures.median_days_to_tandem = _median(rows, "accepted")

    signups = [event for event in rows if event.kind == "signed_up" and event.role]
    figures.signups_by_role = dict(Counter(event.role for event in signups if event.role))
    by_age = {group: _split([e for e in signups if e.age_group == group]) for group in AGE_GROUPS}
    figures.by_age_group = {group: pair for group, pair in by_age.items() if sum(pair)}
    place_ids = {event.place_id for event in signups if event.place_id is not None}
    towns: dict[int, str] = dict(
        session.execute(
            select(col(Place.id), col(Place.name)).where(col(Place.id).in_(place_ids))
        ).all()
    )
    in_town: dict[str, list[Event]] = {}
    for event in signups:
        if event.place_id in towns:
            in_town.setdefault(towns[event.place_id], []).append(event)
    figures.by_area = {
        town: _split(events)
        for town, events in sorted(in_town.items(), key=lambda item: (-len(item[1]), item[0]))
    }
    return figures


def _reasons(rows: list[Event], kind: str) -> dict[str, int]:
    counted = Counter(event.reason or "" for event in rows if event.kind == kind)
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def _median(rows: list[Event], kind: str) -> float | None:
    days = [event.days for event in rows if event.kind == kind and event.days is not None]
    return float(median(days)) if days else None


def _split(events: list[Event]) -> tuple[int, int]:
    """(newcomers, locals) among ``events``."""
    return (
        sum(1 for event in events if event.role == "newcomer"),
        sum(1 for event in events if event.role == "local"),
    )
