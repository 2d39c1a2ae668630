"""Recurrence expansion in Europe/Berlin: weekly, monthly n-th weekday, DST, cancelled dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from web.core.models import Occasion
from web.events import recurrence

BERLIN = ZoneInfo("Europe/Berlin")


def occasion(start: datetime, **fields: object) -> Occasion:
    return Occasion(region_id=1, meeting_place_id=1, titles={"de": "Stammtisch"},
                    starts_at=start.astimezone(UTC),
                    ends_at=start.astimezone(UTC) + timedelta(hours=2),
                    **fields)  # fmt: skip


def test_a_monthly_first_thursday_stays_at_19_across_both_dst_changes() -> None:
    first = datetime(2026, 1, 1, 19, 0, tzinfo=BERLIN)  # the first Thursday of 2026
    stammtisch = occasion(first, repeat="monthly")
    dates = recurrence.occurrences(stammtisch, first, datetime(2026, 12, 31, tzinfo=BERLIN))
    assert [d.date() for d in dates][:5] == [date(2026, 1, 1), date(2026, 2, 5), date(2026, 3, 5),
                                           date(2026, 4, 2), date(2026, 5, 7)]  # fmt: skip
    assert len(dates) == 12
    assert {(d.hour, d.minute) for d in dates} == {(19, 0)}  # wall-clock time kept
    offsets = {d.date().month: d.utcoffset().total_seconds() / 3600 for d in dates}  # type: ignore[union-attr]
    assert offsets[3] == 1 and offsets[4] == 2  # CET before 29 March, CEST after
    assert offsets[10] == 2 and offsets[11] == 1  # CEST until 25 October, CET after
    assert dates[3].astimezone(UTC).hour == 17 and dates[2].astimezone(UTC).hour == 18


def test_a_weekly_event_over_the_autumn_change_and_its_end() -> None:
    first = datetime(2026, 10, 20, 18, 30, tzinfo=BERLIN)  # a Tuesday
    course = occasion(first, repeat="weekly", weekdays=["tue", "thu"], until=date(2026, 11, 3))
    dates = recurrence.occurrences(course, first, datetime(2027, 1, 1, tzinfo=BERLIN))
    assert [d.date().isoformat() for d in dates] == [
        "2026-10-20", "2026-10-22", "2026-10-27", "2026-10-29", "2026-11-03",
    ]  # fmt: skip
    assert all(d.hour == 18 and d.minute == 30 for d in dates)
    assert dates[1].astimezone(UTC).hour == 16 and dates[2].astimezone(UTC).hour == 17


def test_the_last_weekday_of_a_month_and_cancelled_dates() -> None:
    first = datetime(2026, 1, 29, 10, 0, tzinfo=BERLIN)  # the fifth, and last, Thursday
    assert recurrence.nth_weekday(first.date()) == -1
    walk = occasion(first, repeat="monthly", cancelled_dates=["2026-02-26"])
    dates = recurrence.occurrences(walk, first, datetime(2026, 5, 1, tzinfo=BERLIN))
    assert [d.date().isoformat() for d in dates] == ["2026-01-29", "2026-03-26", "2026-04-30"]


def test_a_single_event_and_a_cancelled_one() -> None:
    start = datetime(2026, 6, 13, 14, 0, tzinfo=BERLIN)
    fest = occasion(start)
    assert recurrence.rule(fest) is None
    window = (datetime(2026, 6, 1, tzinfo=BERLIN), datetime(2026, 7, 1, tzinfo=BERLIN))
    assert recurrence.occurrences(fest, *window) == [start]
    fest.cancelled_at = datetime(2026, 6, 1, tzinfo=UTC)
    assert recurrence.occurrences(fest, *window) == []
