"""Whole numbers and days typed into query strings and forms, parsed strictly.

Every handler that reads a number or a date from a request parses it here, because the
obvious tools each let hostile input through to a 500:

- ``str.isdigit()`` is true for ``"²"`` and for Arabic-Indic digits; ``int()`` then
  refuses the first and reads the second, and ``secrets.compare_digest`` refuses both.
- A Python ``int`` has no bound, the database's INTEGER columns stop at 2**31 - 1
  (PostgreSQL: "integer out of range"; SQLite: OverflowError past 64 bits).
- ``date.fromisoformat`` accepts the years 1 and 9999, which overflow as soon as a day is
  added or a time zone applied; in Python 3.11 it also takes ``20250131`` and week dates.

So: ASCII digits only, and a range that every use of the value can hold. A value outside
it raises ``BadValue`` (a ``ValueError``), which the caller turns into its message and a
400, or into its default when a lenient link parameter is enough (a page number).
"""

from __future__ import annotations

import re
from datetime import date

# The largest value of an INTEGER column (PostgreSQL and the ids SQLite hands out here).
INT_MAX = 2**31 - 1
# Pages of a list: far more than any list here has, far less than an OFFSET overflows.
PAGE_MAX = 10_000
# Days the app accepts anywhere: a birth, a police certificate, a tandem's end, a report.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,10}")  # 10 digits hold INT_MAX; more is out of range anyway
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GERMAN_DAY = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


class BadValue(ValueError):
    """Not a value this parameter can take."""


def integer(text: object, *, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number from ASCII digits (no sign, no spaces inside) within [low, high]."""
    digits = str(text).strip()
    if not _DIGITS.fullmatch(digits):
        raise BadValue(text)
    number = int(digits)
    if not low <= number <= high:
        raise BadValue(text)
    return number


def digits(text: object, *, length: int) -> str:
    """Exactly ``length`` ASCII digits, as text (a one-time code keeps its leading zeros)."""
    code = str(text).strip()
    if len(code) != length or not (code.isascii() and code.isdigit()):
        raise BadValue(text)
    return code


def optional_integer(text: object, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """``None`` for an empty value, else as ``integer``."""
    return None if not str(text or "").strip() else integer(text, low=low, high=high)


def row_id(text: object) -> int:
    """The id of a row: 1 up to what an INTEGER column holds."""
    return integer(text, low=1, high=INT_MAX)


def page_number(text: object) -> int:
    """A list's page from a link: 1 unless the value is a page number (lenient on purpose,
    a mangled link still shows the list)."""
    try:
        return integer(text, low=1, high=PAGE_MAX)
    except BadValue:
        return 1


def day(text: object, *, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY) -> date:
    """A day written ``YYYY-MM-DD`` (what ``<input type="date">`` sends), within the bounds."""
    found = _ISO_DAY.fullmatch(str(text).strip())
    if not found:
        raise BadValue(text)
    return _bounded(int(found[1]), int(found[2]), int(found[3]), earliest, latest, text)


def optional_day(
    text: object, *, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY
) -> date | None:
    """``None`` for an empty value, else as ``day``."""
    return None if not str(text or "").strip() else day(text, earliest=earliest, latest=latest)


def day_iso_or_german(
    text: object, *, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY
) -> date:
    """A day as ``YYYY-MM-DD`` or as Germans write it on paper, ``D.M.YYYY``."""
    found = _GERMAN_DAY.fullmatch(str(text).strip())
    if found:
        return _bounded(int(found[3]), int(found[2]), int(found[1]), earliest, latest, text)
    return day(text, earliest=earliest, latest=latest)


def _bounded(year: int, month: int, day_: int, earliest: date, latest: date, text: object) -> date:
    try:
        parsed = date(year, month, day_)
    except ValueError:
        raise BadValue(text) from None
    if not earliest <= parsed <= latest:
        raise BadValue(text)
    return parsed
