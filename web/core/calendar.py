"""iCalendar (RFC 5545) documents: .ics invitations and feeds, made with ``icalendar``.

Times are written in Europe/Berlin with ``TZID`` and a ``VTIMEZONE`` component, so that
every calendar shows the programme's local time on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone

BERLIN = ZoneInfo("Europe/Berlin")
PRODID = "-//Tandem//Begegnung//DE"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def new_calendar(*, name: str | None = None, method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Berlin")
    return calendar


def add_berlin_timezone(calendar: Calendar, first: date, last: date) -> None:
    """The VTIMEZONE for Europe/Berlin, covering the transitions from ``first`` to ``last``."""
    start = date(first.year - 1, 1, 1)
    calendar.add_component(
        Timezone.from_tzinfo(BERLIN, "Europe/Berlin", start, last + timedelta(days=366))
    )


def berlin(moment: datetime) -> datetime:
    """An aware moment in the programme's time zone (written with TZID=Europe/Berlin)."""
    return moment.astimezone(BERLIN)


def to_ics(calendar: Calendar) -> bytes:
    return calendar.to_ical()
