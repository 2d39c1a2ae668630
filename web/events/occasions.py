"""Coordinators' events: the form (checked field by field), saving, cancelling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from web.core import audit
from web.core.calendar import BERLIN, berlin
from web.core.forms import TOO_LONG, clean_text, single, values
from web.core.i18n import N_
from web.core.models import Coordinator, MeetingPlace, Occasion, Region, utcnow
from web.core.sql import id_of
from web.core.vocabulary import (
    DAYS,
    DESCRIPTION_LANGUAGES,
    EVENT_AUDIENCES,
    EVENT_REPEATS,
    LANGUAGES,
)
from web.events import recurrence

TITLE_MAX, DESCRIPTION_MAX, CAPACITY_MAX = 120, 2000, 10000
MAX_YEARS_AHEAD = 2


@dataclass
class OccasionForm:
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    place: str = ""
    day: str = ""
    start: str = ""
    end: str = ""
    repeat: str = "once"
    weekdays: list[str] = field(default_factory=list)
    until: str = ""
    capacity: str = ""
    audience: str = "everyone"
    languages: list[str] = field(default_factory=list)
    public: bool = True
    errors: dict[str, str] = field(default_factory=dict)
    # Parsed, when valid:
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    until_day: date | None = None
    capacity_number: int | None = None
    place_id: int | None = None


def places_for(session: Session, region: Region) -> list[MeetingPlace]:
    return list(
        session.scalars(
            select(MeetingPlace)
            .where(
                col(MeetingPlace.region_id) == region.id, col(MeetingPlace.archived_at).is_(None)
            )
            .order_by(col(MeetingPlace.name))
        )
    )


def form_for(occasion: Occasion) -> OccasionForm:
    start, end = berlin(occasion.starts_at), berlin(occasion.ends_at)
    return OccasionForm(
        titles=dict(occasion.titles), descriptions=dict(occasion.descriptions),
        place=str(occasion.meeting_place_id), day=start.date().isoformat(),
        start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), repeat=occasion.repeat,
        weekdays=list(occasion.weekdays),
        until=occasion.until.isoformat() if occasion.until else "",
        capacity="" if occasion.capacity is None else str(occasion.capacity),
        audience=occasion.audience, languages=list(occasion.languages), public=occasion.public,
    )  # fmt: skip


def _clock(text: str) -> time | None:
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        return None


def parse_occasion_form(
    session: Session, region: Region, data: dict[str, Any], *, now: datetime, new: bool
) -> OccasionForm:
    form = OccasionForm(
        titles={
            c: clean_text(single(data, f"title_{c}"), max_length=None)
            for c in DESCRIPTION_LANGUAGES
        },
        descriptions={
            c: clean_text(single(data, f"description_{c}"), max_length=None, multiline=True)
            for c in DESCRIPTION_LANGUAGES
        },
        place=single(data, "place")[:12], day=single(data, "day")[:10],
        start=single(data, "start")[:5], end=single(data, "end")[:5],
        repeat=single(data, "repeat"), weekdays=[d for d in DAYS if d in values(data, "weekdays")],
        until=single(data, "until")[:10], capacity=single(data, "capacity").strip()[:8],
        audience=single(data, "audience"),
        languages=[c for c in LANGUAGES if c in values(data, "languages")],
        public=single(data, "public") == "yes",
    )  # fmt: skip
    errors = form.errors
    for code in DESCRIPTION_LANGUAGES:
        if len(form.titles[code]) > TITLE_MAX:
            errors[f"title_{code}"] = TOO_LONG
        if len(form.descriptions[code]) > DESCRIPTION_MAX:
            errors[f"description_{code}"] = TOO_LONG
    if not form.titles["de"]:
        errors["title_de"] = N_("Please give the event a German title.")
    places = {str(place.id): place for place in places_for(session, region)}
    if form.place not in places:
        errors["place"] = N_("Please choose a meeting place of this region.")
    else:
        form.place_id = places[form.place].id
    _parse_times(form, now=now, new=new)
    if form.repeat not in EVENT_REPEATS:
        errors["repeat"] = N_("Please choose how often the event takes place.")
        form.repeat = "once"
    if form.capacity:
        if not form.capacity.isdigit() or not 1 <= int(form.capacity) <= CAPACITY_MAX:
            errors["capacity"] = N_("Please enter a number of places from 1 to 10000, or nothing.")
        else:
            form.capacity_number = int(form.capacity)
    if form.audience not in EVENT_AUDIENCES:
        errors["audience"] = N_("Please choose who the event is for.")
        form.audience = "everyone"
    return form


def _parse_times(form: OccasionForm, *, now: datetime, new: bool) -> None:
    errors = form.errors
    try:
        day = date.fromisoformat(form.day)
    except ValueError:
        errors["day"] = N_("Please enter the date of the (first) event, for example 2026-12-03.")
        return
    start, end = _clock(form.start), _clock(form.end)
    if start is None or end is None or end <= start:
        errors["times"] = N_(
            "Please enter when it starts and ends on that day, for example 19:00 and 21:00."
        )
        return
    form.starts_at = datetime.combine(day, start, tzinfo=BERLIN)
    form.ends_at = datetime.combine(day, end, tzinfo=BERLIN)
    if new and form.starts_at < now:
        errors["day"] = N_("Please choose a day that has not passed.")
    elif day > now.date() + timedelta(days=365 * MAX_YEARS_AHEAD):
        errors["day"] = N_("Please choose a day within the next two years.")
    if form.repeat == "weekly" and recurrence.day_key(form.starts_at) not in form.weekdays:
        errors["weekdays"] = N_("Please tick the weekday of the first date as well.")
    if form.until and form.repeat != "once":
        try:
            form.until_day = date.fromisoformat(form.until)
        except ValueError:
            errors["until"] = N_("Please enter the last date like 2027-06-30, or nothing.")
            return
        if not day <= form.until_day <= day + timedelta(days=365 * MAX_YEARS_AHEAD):
            errors["until"] = N_(
                "The last date must lie between the first date and two years after it."
            )


def save_occasion(
    session: Session,
    region: Region,
    form: OccasionForm,
    *,
    coordinator: Coordinator,
    occasion: Occasion | None = None,
) -> Occasion:
    created = occasion is None
    # parse_form let the form through only with a place and both times.
    assert form.place_id is not None and form.starts_at is not None and form.ends_at is not None
    occasion = occasion or Occasion(region_id=id_of(region), meeting_place_id=form.place_id,
                                    starts_at=form.starts_at, ends_at=form.ends_at)  # fmt: skip
    occasion.titles = {code: text for code, text in form.titles.items() if text}
    occasion.descriptions = {code: text for code, text in form.descriptions.items() if text}
    occasion.meeting_place_id = form.place_id
    occasion.starts_at, occasion.ends_at = form.starts_at, form.ends_at
    occasion.repeat = form.repeat
    occasion.weekdays = list(form.weekdays) if form.repeat == "weekly" else []
    occasion.until = form.until_day if form.repeat != "once" else None
    occasion.capacity = form.capacity_number
    occasion.audience, occasion.languages, occasion.public = (
        form.audience, list(form.languages), form.public,
    )  # fmt: skip
    if not created:
        occasion.sequence += 1
    occasion.updated_at = utcnow()
    session.add(occasion)
    session.flush()
    audit.write(session, now=utcnow(), actor=coordinator,
                 action="event.created" if created else "event.changed",
                 subject_type="event", subject_id=occasion.id)  # fmt: skip
    return occasion


def cancel(session: Session, occasion: Occasion, *, coordinator: Coordinator) -> None:
    occasion.cancelled_at = utcnow()
    occasion.updated_at = utcnow()
    occasion.sequence += 1
    session.add(occasion)
    audit.write(session, now=utcnow(), actor=coordinator, action="event.cancelled",
                 subject_type="event", subject_id=occasion.id)  # fmt: skip


def cancel_date(
    session: Session, occasion: Occasion, day: str, *, coordinator: Coordinator, now: datetime
) -> bool:
    """Cancel one occurrence of a repeating event; False if ``day`` is none of its dates."""
    try:
        wanted = date.fromisoformat(day[:10])
    except ValueError:
        return False
    start = datetime.combine(wanted, time(0), tzinfo=BERLIN)
    found = recurrence.occurrences(occasion, start, start + timedelta(days=1))
    if occasion.repeat == "once" or not found:
        return False
    occasion.cancelled_dates = sorted({*occasion.cancelled_dates, wanted.isoformat()})
    occasion.updated_at = now
    occasion.sequence += 1
    session.add(occasion)
    audit.write(session, now=now, actor=coordinator, action="event.date_cancelled",
                 subject_type="event", subject_id=occasion.id)  # fmt: skip
    return True


def upcoming(
    session: Session, region_ids: list[int] | None, *, now: datetime, days: int = 120
) -> list[tuple[Occasion, list[datetime]]]:
    """Events not cancelled with their dates in the next ``days`` days, soonest first."""
    query = select(Occasion).where(col(Occasion.cancelled_at).is_(None))
    if region_ids is not None:
        query = query.where(col(Occasion.region_id).in_(region_ids))
    found = []
    for occasion in session.scalars(query):
        dates = recurrence.occurrences(occasion, now, now + timedelta(days=days))
        if dates:
            found.append((occasion, dates))
    return sorted(found, key=lambda item: (item[1][0], item[0].id))
