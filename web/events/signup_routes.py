"""Sign-ups for an event's date: participants on their profile page, coordinators on the
date's page (for people without e-mail), the attendance list at the door, and each
person's private calendar feed."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
)
from sqlmodel import Session

from web.coordinator import search
from web.core.access import get_participant_for
from web.core.auth import coordinator_required, participant_required
from web.core.dates import local_datetime
from web.core.deps import AppSettings, CurrentCoordinator, CurrentParticipant, DbSession, RowId
from web.core.forms import FormData, single, values
from web.core.i18n import N_, negotiate
from web.core.models import Coordinator, Occasion, Participant, utcnow
from web.events import attendance, my_feed, signups
from web.events.routes import FEED_MAX_AGE, get_occasion_for

MESSAGES = {
    "not_a_date": N_("This event does not take place on that date."),
    "past": N_("This date has passed: signing up or cancelling is no longer possible."),
    "not_for_you": N_("This event is for another group of people."),
    "busy": N_("Many people are signing up right now. Please try again."),
    "not_signed_up": N_("You are not signed up for this date."),
    "walk_in_name": N_("Please type the name of the person who came."),
    "walk_in_too_long": N_("Please use at most 80 characters."),
}
PARTICIPANT_FLASH = {
    "signed_up": N_("You are signed up. We look forward to seeing you!"),
    "waiting": N_(
        "The event is full: you are on the waiting list. If a place becomes free, you move "
        "up and we tell you."
    ),
    "cancelled": N_("Your sign-up is cancelled."),
    "new_feed": N_("Your calendar has a new address. The old one no longer works."),
}  # fmt: skip
COORDINATOR_FLASH = {
    "signed_up": N_("The person is signed up."),
    "waiting": N_("The date is full: the person is on the waiting list."),
    "cancelled": N_(
        "The sign-up is cancelled. The first on the waiting list, if any, moved up and is told."
    ),
    "saved": N_("Attendance is saved."),
    "walk_in": N_("The walk-in is added and counted as present."),
    "walk_in_removed": N_("The walk-in is removed."),
}  # fmt: skip


def _see(path: str, **query: str) -> Redirect:
    return Redirect(path=path, query_params=query or None, status_code=HTTP_303_SEE_OTHER)


def _occurrence(occasion: Occasion, day: str) -> signups.Occurrence:
    found = signups.occurrence(occasion, day)
    if found is None:
        raise NotFoundException()
    return found


# --- participants: /me/events/... -----------------------------------------------------------------


def _problem(code: str, status: int) -> Template:
    return Template(template_name="events/signup_problem.html", status_code=status,
                    context={"message": MESSAGES.get(code, MESSAGES["not_a_date"])})  # fmt: skip


def _status_of(error: signups.SignupError) -> int:
    return HTTP_400_BAD_REQUEST if error.code == "not_a_date" else HTTP_409_CONFLICT


@post("/me/events/{occasion_id:int}/{day:str}/sign-up", name="sign_up_for_event",
      sync_to_thread=True)  # fmt: skip
def sign_up_for_event(
    db: DbSession, person: CurrentParticipant, occasion_id: RowId, day: FromPath[str]
) -> Template | Redirect:
    occasion = db.get(Occasion, occasion_id)
    if occasion is None:
        raise NotFoundException()
    try:
        row = signups.sign_up(db, occasion, day, person, now=utcnow())
    except signups.SignupError as refused:
        return _problem(refused.code, _status_of(refused))
    return _see("/me", event="signed_up" if row.seat is not None else "waiting")


@post("/me/events/{occasion_id:int}/{day:str}/cancel", name="cancel_my_signup",
      sync_to_thread=True)  # fmt: skip
def cancel_my_signup(
    db: DbSession, person: CurrentParticipant, occasion_id: RowId, day: FromPath[str]
) -> Template | Redirect:
    occasion = db.get(Occasion, occasion_id)
    when = signups.occurrence(occasion, day) if occasion is not None else None
    if when is None:
        raise NotFoundException()
    mine = signups.find(db, occasion_id, when.day, person.id or 0)
    if mine is None:
        return _problem("not_signed_up", HTTP_409_CONFLICT)
    try:
        signups.cancel(db, mine, now=utcnow())
    except signups.SignupError as refused:
        return _problem(refused.code, _status_of(refused))
    return _see("/me", event="cancelled")


@post("/me/calendar/new-link", name="renew_my_calendar", sync_to_thread=True)
def renew_my_calendar(db: DbSession, person: CurrentParticipant, settings: AppSettings) -> Redirect:
    my_feed.renew(db, person, settings.secret_key, now=utcnow())
    return _see("/me", event="new_feed")


def profile_context(
    db: Session, person: Participant, *, base_url: str, secret_key: str, event: str | None
) -> dict[str, Any]:
    """What the profile page shows of events (web/me/routes.py puts it in): the person's
    sign-ups, places left at the dates near them, their calendar's address."""
    now = utcnow()
    mine = signups.upcoming_for(db, person, now=now)
    token = my_feed.token_for(db, person, secret_key, now=now)
    return {
        "my_events": mine,
        # (event, date) -> the place on its waiting list, or None with a place
        "signed_up_dates": {(m.signup.occasion_id, m.occurrence.day): m.waiting for m in mine},
        "places_left": lambda occasion, day: (
            None if occasion.capacity is None
            else max(0, occasion.capacity - signups.places_taken(db, occasion.id, day))
        ),
        "calendar_url": f"{base_url}/calendar/me/{token}.ics",
        "event_flash": PARTICIPANT_FLASH.get(event or ""),
    }  # fmt: skip


# --- coordinators: one date of an event ---------------------------------------------------------


def _date_page(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    when: signups.Occurrence,
    *,
    q: str = "",
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    locale = negotiate(request)
    found = [p for p in search.find(db, coordinator, q) if signups.may_sign_up(p, when.occasion)]
    return Template(
        template_name="events/date.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "when": when,
            "when_text": local_datetime(when.starts, locale=locale, weekday=True),
            "rows": signups.signups_of(db, when.occasion.id or 0, when.day),
            "q": q,
            "found": found if q else None,
            "flash": COORDINATOR_FLASH.get(done or ""),
            "error": MESSAGES.get(error or ""),
        },
    )


@get("/events/{occasion_id:int}/dates/{day:str}", name="event_date", sync_to_thread=True)
def event_date(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    q: FromQuery[str] = "",
    done: FromQuery[str | None] = None,
) -> Template:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    return _date_page(request, db, coordinator, when, q=q[:100], done=done)


def _date_path(when: signups.Occurrence) -> str:
    return f"/coordinator/events/{when.occasion.id}/dates/{when.day.isoformat()}"


@post("/events/{occasion_id:int}/dates/{day:str}/sign-up", name="sign_up_on_behalf",
      sync_to_thread=True)  # fmt: skip
def sign_up_on_behalf(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    person = get_participant_for(db, coordinator, single(data, "person")[:40])
    try:
        row = signups.sign_up(db, when.occasion, when.day, person, now=utcnow(), by=coordinator)
    except signups.SignupError as refused:
        return _date_page(request, db, coordinator, when, error=refused.code,
                          status_code=_status_of(refused))  # fmt: skip
    return _see(_date_path(when), done="signed_up" if row.seat is not None else "waiting")


@post("/events/{occasion_id:int}/dates/{day:str}/cancel/{signup_id:int}",
      name="cancel_on_behalf", sync_to_thread=True)  # fmt: skip
def cancel_on_behalf(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    signup_id: RowId,
) -> Template | Redirect:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    row = next((r for r in signups.signups_of(db, occasion_id, when.day) if r.id == signup_id),
               None)  # fmt: skip
    if row is None:
        raise NotFoundException()
    try:
        signups.cancel(db, row, now=utcnow(), by=coordinator)
    except signups.SignupError as refused:
        return _date_page(request, db, coordinator, when, error=refused.code,
                          status_code=_status_of(refused))  # fmt: skip
    return _see(_date_path(when), done="cancelled")


# --- at the door -------------------------------------------------------------------------------


def _door_page(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    when: signups.Occurrence,
    *,
    done: str | None = None,
    error: str | None = None,
    typed: str = "",
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="events/door.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "door": attendance.door_list(db, when),
            "when_text": local_datetime(when.starts, locale=negotiate(request), weekday=True),
            "date_path": _date_path(when),
            "flash": COORDINATOR_FLASH.get(done or ""),
            "error": MESSAGES.get(error or ""),
            "typed": typed,
        },
    )


@get("/events/{occasion_id:int}/dates/{day:str}/door", name="door_list", sync_to_thread=True)
def door_list(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    return _door_page(request, db, coordinator, when, done=done)


@post("/events/{occasion_id:int}/dates/{day:str}/door", name="save_attendance",
      sync_to_thread=True)  # fmt: skip
def save_attendance(
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    data: FormData,
) -> Redirect:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    ticked = {int(v) for v in values(data, "came") if v.isdigit() and len(v) < 12}
    attendance.save(db, when, ticked, coordinator=coordinator, now=utcnow())
    return _see(_date_path(when) + "/door", done="saved")


@post("/events/{occasion_id:int}/dates/{day:str}/door/walk-ins", name="add_walk_in",
      sync_to_thread=True)  # fmt: skip
def add_walk_in(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    name = single(data, "name")
    try:
        attendance.add_walk_in(db, when, name, coordinator=coordinator, now=utcnow())
    except attendance.AttendanceError as refused:
        return _door_page(request, db, coordinator, when, error=refused.code, typed=name[:200],
                          status_code=HTTP_400_BAD_REQUEST)  # fmt: skip
    return _see(_date_path(when) + "/door", done="walk_in")


@post("/events/{occasion_id:int}/dates/{day:str}/door/walk-ins/{walk_in_id:int}/remove",
      name="remove_walk_in", sync_to_thread=True)  # fmt: skip
def remove_walk_in(
    db: DbSession,
    coordinator: CurrentCoordinator,
    occasion_id: RowId,
    day: FromPath[str],
    walk_in_id: RowId,
) -> Redirect:
    when = _occurrence(get_occasion_for(db, coordinator, occasion_id), day)
    if not attendance.remove_walk_in(db, when, walk_in_id):
        raise NotFoundException()
    return _see(_date_path(when) + "/door", done="walk_in_removed")


# --- the private feed -----------------------------------------------------------------------------


@get("/calendar/me/{name:str}", name="my_calendar", sync_to_thread=True,
     opt={"skip_session": True})  # fmt: skip
def my_calendar(db: DbSession, name: FromPath[str]) -> Response[bytes]:
    """The person's own dates as iCalendar; private (not cached by shared caches)."""
    token, dot, extension = name.rpartition(".")
    person = my_feed.person_for(db, token) if dot and extension == "ics" else None
    if person is None:
        raise NotFoundException()
    body = my_feed.feed(db, person, now=utcnow())
    headers = {
        "cache-control": f"private, max-age={FEED_MAX_AGE}",
        "referrer-policy": "no-referrer",
    }
    return Response(content=body, media_type="text/calendar", headers=headers)


routers = [
    Router(path="/", guards=[participant_required],
           route_handlers=[sign_up_for_event, cancel_my_signup, renew_my_calendar]),
    Router(path="/coordinator", guards=[coordinator_required],
           route_handlers=[event_date, sign_up_on_behalf, cancel_on_behalf, door_list,
                           save_attendance, add_walk_in, remove_walk_in]),
    Router(path="/", route_handlers=[my_calendar]),
]  # fmt: skip
