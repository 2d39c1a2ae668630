"""When an event takes place: its occurrences, repeated in Europe/Berlin wall-clock time.

Recurrence by ``dateutil.rrule`` (no hand-written date arithmetic): weekly on given
weekdays, or monthly on the n-th weekday ("every first Thursday"). A Stammtisch at 19:00
stays at 19:00 local time across the change to and from daylight saving time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil import rrule

from web.core.calendar import BERLIN, berlin
from web.core.models import Occasion

# Our weekday keys (web.core.vocabulary.DAYS) -> iCalendar's BYDAY codes and dateutil's days.
BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
_WEEKDAYS = dict(
    zip(BYDAY, (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU), strict=True)
)
_DAY_KEYS = tuple(BYDAY)


def day_key(moment: datetime) -> str:
    return _DAY_KEYS[berlin(moment).weekday()]


def nth_weekday(day: date) -> int:
    """Which of the month's weekdays ``day`` is: 1 … 4, or -1 for a fifth (the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def until_moment(until: date | None) -> datetime | None:
    """The end of the series' last day, in Berlin."""
    return None if until is None else datetime.combine(until, time(23, 59, 59), tzinfo=BERLIN)


def rule(occasion: Occasion) -> rrule.rrule | None:
    """The event's recurrence rule, or None for a single event."""
    start = berlin(occasion.starts_at)
    until = until_moment(occasion.until)
    if occasion.repeat == "weekly":
        days = [_WEEKDAYS[key] for key in _DAY_KEYS if key in occasion.weekdays]
        return rrule.rrule(rrule.WEEKLY, dtstart=start, byweekday=days, until=until)
    if occasion.repeat == "monthly":
        weekday = _WEEKDAYS[_DAY_KEYS[start.weekday()]](nth_weekday(start.date()))
        return rrule.rrule(rrule.MONTHLY, dtstart=start, byweekday=weekday, until=until)
    return None


def occurrences(occasion: Occasion, after: datetime, before: datetime) -> list[datetime]:
    """The starts (in Berlin) from ``after`` to ``before``, without cancelled dates."""
    if occasion.cancelled_at is not None:
        return []
    recurrence = rule(occasion)
    if recurrence is None:
        starts = [berlin(occasion.starts_at)]
    else:
        starts = recurrence.between(berlin(after), berlin(before), inc=True)
    cancelled = set(occasion.cancelled_dates)
    return [
        start for start in starts
        if after <= start <= before and start.date().isoformat() not in cancelled
    ]  # fmt: skip


def next_occurrence(occasion: Occasion, now: datetime, *, days: int = 800) -> datetime | None:
    found = occurrences(occasion, now, now + timedelta(days=days))
    return found[0] if found else None
