"""Days as the programme sees them: its time zone, and a day in the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time

try:
    PROGRAMME_TIMEZONE: ZoneInfo | None = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # pragma: no cover (no tz database installed)
    PROGRAMME_TIMEZONE = None


def local_date(moment: datetime | None, *, locale: str) -> str:
    """A moment as the programme's calendar day, in the reader's language."""
    if moment is None:
        return ""
    if PROGRAMME_TIMEZONE is not None:
        moment = moment.astimezone(PROGRAMME_TIMEZONE)
    return format_date(moment.date(), format="long", locale=locale)


def local_datetime(moment: datetime | None, *, locale: str) -> str:
    """A moment as the programme's day and time of day, in the reader's language
    ("Dienstag, 8. Dezember 2026, 18:00")."""
    if moment is None:
        return ""
    if PROGRAMME_TIMEZONE is not None:
        moment = moment.astimezone(PROGRAMME_TIMEZONE)
    day = format_date(moment.date(), format="full", locale=locale)
    return f"{day}, {format_time(moment.time(), format='short', locale=locale)}"
