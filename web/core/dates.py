"""Days as the programme sees them: its time zone, and a day in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

try:
    PROGRAMME_TIMEZONE: ZoneInfo | None = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # pragma: no cover (no tz database installed)
    PROGRAMME_TIMEZONE = None


def local_date(moment: datetime | date | None, *, locale: str) -> str:
    """A moment (or a calendar day) as the programme's calendar day, in the reader's language."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        return format_date(moment, format="long", locale=locale)
    if PROGRAMME_TIMEZONE is not None:
        moment = moment.astimezone(PROGRAMME_TIMEZONE)
    return format_date(moment.date(), format="long", locale=locale)
