"""A region's public iCalendar feed of its public events, for the newcomer app (Integreat).

Rules (issue 17, §4): valid RFC 5545 made by ``icalendar``; one VEVENT per event with a
stable UID, SUMMARY and DESCRIPTION in German, LOCATION (place name and address), DTSTART/
DTEND with TZID=Europe/Berlin and a VTIMEZONE, CATEGORIES with the region's tag,
LAST-MODIFIED and DTSTAMP; recurrences only as FREQ=WEEKLY with BYDAY or FREQ=MONTHLY with
one BYDAY such as 1TH, no WKST, UNTIL (in UTC) where the series ends; cancelled
occurrences as EXDATE; a cancelled event is left out. No personal data: nobody's name,
no sign-ups.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from icalendar import Event, vRecur
from sqlalchemy import select
from sqlmodel import Session, col

from web.core import calendar
from web.core.models import Occasion, Region
from web.events import recurrence
from web.places.first_meeting import where

# How long events that ended stay in the feed (Integreat shows what is coming).
KEEP_PAST = timedelta(days=31)


def category(region: Region) -> str:
    return region.calendar_tag or f"Tandem {region.slug}"


def public_occasions(session: Session, region: Region, *, now: datetime) -> list[Occasion]:
    rows = session.scalars(
        select(Occasion)
        .where(
            col(Occasion.region_id) == region.id,
            col(Occasion.public).is_(True),
            col(Occasion.cancelled_at).is_(None),
        )
        .order_by(col(Occasion.starts_at), col(Occasion.id))
    ).all()
    horizon = now - KEEP_PAST
    return [row for row in rows if (end := _last_end(row)) is None or end >= horizon]


def _last_end(occasion: Occasion) -> datetime | None:
    """When the series ends (None: it goes on)."""
    if occasion.repeat == "once":
        return occasion.ends_at
    until = recurrence.until_moment(occasion.until)
    return None if until is None else until.astimezone(UTC)


def recur(occasion: Occasion) -> vRecur | None:
    """The RRULE in a form Integreat accepts."""
    if occasion.repeat == "once":
        return None
    start = calendar.berlin(occasion.starts_at)
    if occasion.repeat == "weekly":
        days = [recurrence.BYDAY[key] for key in recurrence.BYDAY if key in occasion.weekdays]
        parts: dict[str, object] = {"FREQ": "WEEKLY", "BYDAY": days}
    else:
        nth = recurrence.nth_weekday(start.date())
        parts = {
            "FREQ": "MONTHLY",
            "BYDAY": [f"{nth}{recurrence.BYDAY[recurrence.day_key(start)]}"],
        }
    until = recurrence.until_moment(occasion.until)
    if until is not None:
        parts["UNTIL"] = until.astimezone(UTC)  # UTC, as RFC 5545 wants with a TZID start
    return vRecur(parts)


def vevent(occasion: Occasion, region: Region) -> Event:
    start = calendar.berlin(occasion.starts_at)
    event = Event()
    event.add("uid", f"{occasion.uid}@tandem")
    event.add("dtstamp", occasion.updated_at)
    event.add("last-modified", occasion.updated_at)
    event.add("created", occasion.created_at)
    event.add("sequence", occasion.sequence)
    event.add("summary", occasion.title_in("de"))
    if occasion.description_in("de"):
        event.add("description", occasion.description_in("de"))
    place = occasion.place
    event.add("location", f"{place.name}, {where(place)}")
    if place.is_virtual and place.video_url:
        event.add("url", place.video_url)
    event.add("dtstart", start)
    event.add("dtend", calendar.berlin(occasion.ends_at))
    event.add("categories", [category(region)])
    rule = recur(occasion)
    if rule is not None:
        event.add("rrule", rule)
        for day in sorted(occasion.cancelled_dates):
            moment = datetime.combine(datetime.fromisoformat(day).date(), start.timetz())
            event.add("exdate", moment.replace(tzinfo=calendar.BERLIN))
    return event


def region_feed(session: Session, region: Region, *, now: datetime) -> bytes:
    cal = calendar.new_calendar(name=f"Tandem · {region.name}")
    occasions = public_occasions(session, region, now=now)
    first = min((o.starts_at for o in occasions), default=now).date()
    last = max((_last_end(o) or now + timedelta(days=730) for o in occasions), default=now)
    calendar.add_berlin_timezone(cal, first, last.date())
    for occasion in occasions:
        cal.add_component(vevent(occasion, region))
    return calendar.to_ics(cal)


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
