"""Figures for funders, per region and period, computed only from anonymous events.

Events carry no person ids and survive erasure, so a report for a past period
gives the same numbers whenever it is produced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.models import Event

PERIODS = ("month", "quarter", "year")


class ReportError(ValueError):
    pass


def period_bounds(period: str, start: date) -> tuple[datetime, datetime]:
    """[start, end) of the month, quarter or year that begins on ``start``."""
    if period not in PERIODS:
        raise ReportError("period")
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    if (
        start.day != 1
        or (period == "quarter" and (start.month - 1) % 3)
        or (period == "year" and start.month != 1)
    ):
        raise ReportError("start")
    month_index = start.year * 12 + start.month - 1 + months
    end = date(month_index // 12, month_index % 12 + 1, 1)
    as_moment = lambda day: datetime(day.year, day.month, day.day, tzinfo=UTC)  # noqa: E731
    return as_moment(start), as_moment(end)


def add_months(moment: datetime, months: int) -> datetime:
    return moment + timedelta(days=round(30.4375 * months))


@dataclass
class Report:
    start: datetime
    end: datetime
    signups: dict[str, int] = field(default_factory=dict)
    formed: int = 0
    active_at_end: int = 0
    ended_by_reason: dict[str, int] = field(default_factory=dict)
    median_duration_days: float | None = None
    still_active_3_months: float | None = None  # share, 0..1
    still_active_6_months: float | None = None
    median_waiting_days: float | None = None
    languages: dict[str, tuple[int, int]] = field(default_factory=dict)  # demand, offer
    interests: dict[str, tuple[int, int]] = field(default_factory=dict)
    help_topics: dict[str, tuple[int, int]] = field(default_factory=dict)


def build(session: Session, *, region_id: int, period: str, start: date) -> Report:
    begin, end = period_bounds(period, start)
    rows = session.scalars(
        select(Event)
        .where(col(Event.region_id) == region_id, col(Event.at) < end)
        .order_by(col(Event.at))
    ).all()
    inside = [event for event in rows if event.at >= begin]
    report = Report(start=begin, end=end)

    report.signups = dict(Counter(e.role for e in inside if e.kind == "signed_up" and e.role))
    started = {e.tandem_ref: e for e in rows if e.kind == "started" and e.tandem_ref}
    ended = {e.tandem_ref: e for e in rows if e.kind == "ended" and e.tandem_ref}
    report.formed = sum(1 for e in started.values() if e.at >= begin)
    report.active_at_end = sum(1 for ref in started if ref not in ended)
    ended_inside = [e for e in inside if e.kind == "ended"]
    report.ended_by_reason = dict(Counter(e.reason or "other" for e in ended_inside))
    durations = [e.days for e in ended_inside if e.days is not None]
    report.median_duration_days = median(durations) if durations else None
    waits = [e.days for e in started.values() if e.at >= begin and e.days is not None]
    report.median_waiting_days = median(waits) if waits else None
    report.still_active_3_months = _still_active(started, ended, months=3, end=end)
    report.still_active_6_months = _still_active(started, ended, months=6, end=end)

    signups = [e for e in inside if e.kind == "signed_up"]
    for name in ("languages", "interests", "help_topics"):
        demand = Counter(k for e in signups if e.role == "newcomer" for k in getattr(e, name))
        offer = Counter(k for e in signups if e.role == "local" for k in getattr(e, name))
        keys = sorted(set(demand) | set(offer), key=lambda k: (-demand[k] - offer[k], k))
        setattr(report, name, {key: (demand[key], offer[key]) for key in keys})
    return report


def _still_active(
    started: dict[str, Event],
    ended: dict[str, Event],
    *,
    months: int,
    end: datetime,
) -> float | None:
    cohort = [e for e in started.values() if add_months(e.at, months) <= end]
    if not cohort:
        return None
    lasting = sum(
        1
        for e in cohort
        if e.tandem_ref not in ended or ended[e.tandem_ref].at >= add_months(e.at, months)
    )
    return lasting / len(cohort)
