"""A tandem's first meeting: the coordinator picks one of the suggested places and a time.

The suggestions come from the engine (``matching.meeting_places``, a pure function);
this module turns rows into its input, checks the coordinator's choice (a day and time in
a slot both partners have and the place is open) and tells both partners by e-mail, each in
their own language, with an .ics invitation (Europe/Berlin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Event
from sqlalchemy import select
from sqlmodel import Session, col

import matching.meeting_places
from web.core import audit, calendar, mail, reach, signature
from web.core.dates import local_datetime
from web.core.forms import single
from web.core.geo import distance_km
from web.core.i18n import N_, translations
from web.core.models import (
    Coordinator,
    FirstMeeting,
    MeetingPlace,
    Participant,
    Region,
    Tandem,
)
from web.core.sql import id_of

# The hours each part of the day stands for (start inclusive, end exclusive).
DAYPART_HOURS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 22)}
MEETING_LENGTH = timedelta(hours=1)
MAX_DAYS_AHEAD = 90
OPEN_STATUSES = ("proposed", "active", "paused")
# Translators: the title of a calendar entry (.ics) for the first meeting of a tandem.
SUMMARY = N_("First tandem meeting")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Option:
    """One suggested place with the engine's reasons."""

    place: MeetingPlace
    suggestion: matching.meeting_places.Suggestion


@dataclass
class MeetingForm:
    place: str = ""  # a place id, or "" to leave the meeting to the partners
    day: str = ""
    time: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    chosen: MeetingPlace | None = None
    starts_at: datetime | None = None


def slot_of(moment: datetime) -> str | None:
    """The availability slot ("tue_evening") of a moment in Europe/Berlin, if it is in one."""
    local = calendar.berlin(moment)
    for part, (start, end) in DAYPART_HOURS.items():
        if start <= local.hour < end:
            return f"{_DAYS[local.weekday()]}_{part}"
    return None


def _partner(person: Participant) -> matching.meeting_places.Partner:
    return matching.meeting_places.Partner(
        lat=person.place.lat,
        lon=person.place.lon,
        slots=frozenset(person.slots),
        needs_step_free=person.needs_step_free,
    )


def _engine_place(place: MeetingPlace) -> matching.meeting_places.Place:
    return matching.meeting_places.Place(id=place.id or 0, lat=place.lat, lon=place.lon,
                        slots=frozenset(place.slots), step_free=place.step_free,
                        virtual=place.is_virtual)  # fmt: skip


def meets_online(local: Participant, newcomer: Participant, region: Region) -> bool:
    """An online pair: both accept meeting online and live farther apart than the region's
    limit for meeting in person (how the engine let them be paired)."""
    if not (local.online_ok and newcomer.online_ok):
        return False
    apart = float(distance_km(local.place.lat, local.place.lon,
                              newcomer.place.lat, newcomer.place.lon))  # fmt: skip
    return apart > region.max_distance_km


def options_for(session: Session, tandem: Tandem) -> list[Option]:
    """Up to three places for the tandem's first meeting, best first (none: both erased,
    no shared time, or no place open then)."""
    local, newcomer = tandem.local, tandem.newcomer
    region = session.get(Region, tandem.region_id)
    if local is None or newcomer is None or region is None:
        return []
    rows = session.scalars(
        select(MeetingPlace).where(
            col(MeetingPlace.region_id) == tandem.region_id,
            col(MeetingPlace.archived_at).is_(None),
        )
    ).all()
    by_id = {row.id: row for row in rows}
    found = matching.meeting_places.suggest_meeting_places(
        _partner(local), _partner(newcomer), [_engine_place(row) for row in rows],
        online=meets_online(local, newcomer, region),
    )  # fmt: skip
    return [Option(by_id[s.place_id], s) for s in found]


def current(session: Session, tandem: Tandem) -> FirstMeeting | None:
    return session.get(FirstMeeting, tandem.id)


def form_for(meeting: FirstMeeting | None) -> MeetingForm:
    if meeting is None:
        return MeetingForm()
    local = calendar.berlin(meeting.starts_at)
    return MeetingForm(place=str(meeting.meeting_place_id), day=local.date().isoformat(),
                       time=local.strftime("%H:%M"))  # fmt: skip


def parse_meeting_form(
    data: dict[str, Any], options: list[Option], *, now: datetime
) -> MeetingForm:
    form = MeetingForm(place=single(data, "place")[:12], day=single(data, "day")[:10],
                       time=single(data, "time")[:5])  # fmt: skip
    if not form.place:
        return form  # left to the partners
    option = next((o for o in options if str(o.place.id) == form.place), None)
    if option is None:
        form.errors["place"] = N_("Please choose one of the suggested places.")
        return form
    form.chosen = option.place
    try:
        day = date.fromisoformat(form.day)
        hour, minute = (int(part) for part in form.time.split(":"))
        moment = datetime.combine(day, time(hour, minute), tzinfo=calendar.BERLIN)
    except ValueError:
        form.errors["when"] = N_(
            "Please enter a date and a time, for example 2026-12-08 and 18:00."
        )
        return form
    if not now < moment <= now + timedelta(days=MAX_DAYS_AHEAD):
        form.errors["when"] = N_("Please choose a day within the next three months.")
    elif slot_of(moment) not in option.suggestion.slots:
        form.errors["when"] = N_(
            "Please choose a day and time when the place is open and both partners have time."
        )
    else:
        form.starts_at = moment
    return form


def save(
    session: Session, tandem: Tandem, form: MeetingForm, *, coordinator: Coordinator, now: datetime
) -> FirstMeeting | None:
    """Store the choice (or clear it) and tell both partners when it is a new place or time."""
    meeting = current(session, tandem)
    if form.chosen is None or form.starts_at is None:
        if meeting is not None:
            session.delete(meeting)
            audit.write(session, now=now, actor=coordinator, action="tandem.first_meeting_cleared",
                         subject_type="tandem", subject_id=tandem.id)  # fmt: skip
        return None
    if meeting is None:
        meeting = FirstMeeting(tandem_id=id_of(tandem), meeting_place_id=id_of(form.chosen),
                               starts_at=form.starts_at)  # fmt: skip
    elif (meeting.meeting_place_id, meeting.starts_at) == (form.chosen.id, form.starts_at):
        return meeting  # nothing changed: no second e-mail
    else:
        meeting.meeting_place_id, meeting.starts_at = id_of(form.chosen), form.starts_at
        meeting.sequence += 1
    meeting.chosen_by_id, meeting.chosen_at = coordinator.id, now
    session.add(meeting)
    session.flush()
    session.refresh(meeting)
    audit.write(session, now=now, actor=coordinator, action="tandem.first_meeting_set",
                 subject_type="tandem", subject_id=tandem.id)  # fmt: skip
    if tandem.status in OPEN_STATUSES:
        for person, partner in _partners(tandem):
            # No e-mail: a task on the dashboard to tell them where and when (issue 16).
            reach.tell(session, person, template="first_meeting",
                       context={"first_name": person.first_name,
                                "partner_name": partner.first_name,
                                **signature.for_tandem(session, tandem, coordinator=coordinator),
                                **mail_context(meeting, locale=person.locale)},
                       now=now, tandem_id=tandem.id,
                       attachment=invitation(meeting, locale=person.locale, now=now))  # fmt: skip
    return meeting


def _partners(tandem: Tandem) -> list[tuple[Participant, Participant]]:
    local, newcomer = tandem.local, tandem.newcomer
    if local is None or newcomer is None:
        return []
    return [(local, newcomer), (newcomer, local)]


def where(place: MeetingPlace) -> str:
    """The address of a place, or the link of a video room."""
    if place.is_virtual:
        return place.video_url or ""
    town = place.town.name if place.town is not None else ""
    return ", ".join(part for part in (place.street, town) if part)


def mail_context(meeting: FirstMeeting, *, locale: str) -> dict[str, str]:
    place = meeting.place
    return {  # flat: every value a string, as the e-mail templates take them
        "meeting": "yes",
        "meeting_place": place.name,
        "meeting_where": where(place),
        "meeting_when": local_datetime(meeting.starts_at, locale=locale, weekday=True),
        "meeting_description": place.description_in(locale),
        "meeting_online": "yes" if place.is_virtual else "",
    }


def invitation(meeting: FirstMeeting, *, locale: str, now: datetime) -> mail.Attachment:
    """The first meeting as an .ics (no names in it: it may end up in a shared calendar)."""
    gettext = translations(locale).gettext
    place = meeting.place
    cal = calendar.new_calendar(method="PUBLISH")
    start = calendar.berlin(meeting.starts_at)
    calendar.add_berlin_timezone(cal, start.date(), start.date())
    event = Event()
    event.add("uid", f"first-meeting-{meeting.uid}@tandem")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + MEETING_LENGTH)
    event.add("summary", gettext(SUMMARY))
    event.add("location", f"{place.name}, {where(place)}")
    if place.is_virtual and place.video_url:
        event.add("url", place.video_url)
    event.add("description", place.description_in(locale))
    cal.add_component(event)
    return mail.Attachment("tandem.ics", calendar.CONTENT_TYPE, calendar.to_ics(cal))


def partial_context(
    session: Session, tandem: Tandem, *, locale: str, form: MeetingForm | None = None
) -> dict[str, object]:
    """The context of ``places/_first_meeting.html`` on the coordinator's tandem page."""
    meeting = current(session, tandem)
    open_now = tandem.status in OPEN_STATUSES
    return {
        "meeting": meeting,
        "meeting_where": where(meeting.place) if meeting else "",
        "meeting_when": local_datetime(meeting.starts_at, locale=locale, weekday=True)
        if meeting
        else "",
        "meeting_options": options_for(session, tandem) if open_now else [],
        "meeting_form": form or form_for(meeting),
        "meeting_open": open_now,
        "daypart_hours": DAYPART_HOURS,
    }
