"""Days as the programme sees them: its time zone, and a day in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_day_names
from jinja2 import pass_context

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


def local_datetime(moment: datetime | None, *, locale: str, weekday: bool = False) -> str:
    """A moment as the programme's local date and time, in the reader's language
    ("3. Dezember 2026, 14:03"; with ``weekday`` for an event or a first meeting,
    "Dienstag, 8. Dezember 2026, 18:00"): never UTC, never ISO on a page or in an e-mail."""
    if moment is None:
        return ""
    if PROGRAMME_TIMEZONE is not None:
        moment = moment.astimezone(PROGRAMME_TIMEZONE)
    day = format_date(moment.date(), format="full" if weekday else "long", locale=locale)
    return f"{day}, {format_time(moment.time(), format='short', locale=locale)}"


def install(environment: Any) -> None:
    """``local_day(x)`` and ``local_time(x)`` for every template, in the request's language."""
    from web.core.i18n import negotiate

    @pass_context
    def local_day(context: Any, moment: datetime | date | None) -> str:
        return local_date(moment, locale=negotiate(context["request"]))

    @pass_context
    def local_time(context: Any, moment: datetime | None) -> str:
        return local_datetime(moment, locale=negotiate(context["request"]))

    @pass_context
    def short_day_names(context: Any) -> list[str]:
        return day_abbreviations(locale=negotiate(context["request"]))

    environment.globals["local_day"] = local_day
    environment.globals["local_time"] = local_time
    environment.globals["short_day_names"] = short_day_names


def day_abbreviations(*, locale: str) -> list[str]:
    """Monday to Sunday, short in the reader's language ("Mo.", "Di.", …; a week's grid)."""
    names = get_day_names("short", locale=locale)
    return [names[day] for day in range(7)]
