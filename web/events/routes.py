"""Events: coordinators' pages (list, add, change, cancel) and each region's public feed."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlalchemy import select
from sqlmodel import Session, col

from web.core import audit, links
from web.core.access import get_region_for, region_ids_of, visible_regions
from web.core.auth import coordinator_required
from web.core.dates import local_datetime
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, RowId
from web.core.forms import FormData, clean_text, single
from web.core.i18n import N_, negotiate
from web.core.models import Coordinator, Occasion, Region, utcnow
from web.core.settings import Settings
from web.events import feed, occasions, signups, whats_on

FLASH = {
    "created": N_("The event is saved."),
    "changed": N_("Your changes are saved."),
    "cancelled": N_("The event is cancelled. It no longer appears in the calendar."),
    "date_cancelled": N_("This date is cancelled. The calendar shows it as cancelled."),
    "tag_saved": N_("The category of the calendar feed is saved."),
}
TAG_MAX = 60
TAG_ERROR = N_("Please use at most 60 characters and no comma, semicolon or backslash.")
NOT_A_DATE = N_("This event does not take place on that date.")
FEED_MAX_AGE = 900  # seconds a calendar app may keep the feed without asking again


def get_occasion_for(session: Session, coordinator: Coordinator, occasion_id: int) -> Occasion:
    occasion = session.get(Occasion, occasion_id)
    region_ids = region_ids_of(session, coordinator)
    if occasion is None or (region_ids is not None and occasion.region_id not in region_ids):
        raise NotFoundException()
    return occasion


def _form_page(
    db: Session,
    coordinator: Coordinator,
    region: Region,
    form: occasions.OccasionForm,
    *,
    occasion: Occasion | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    return Template(
        template_name="events/form.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "region": region,
            "form": form,
            "occasion": occasion,
            "places": occasions.places_for(db, region),
            **extra,
        },
    )


def _back(done: str) -> Redirect:
    return Redirect(path="/coordinator/events", query_params={"done": done},
                    status_code=HTTP_303_SEE_OTHER)  # fmt: skip


def _list_page(
    request: Request,
    db: Session,
    coordinator: Coordinator,
    settings: Settings,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    locale = negotiate(request)
    now = utcnow()
    return Template(
        template_name="events/list.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "regions": visible_regions(db, coordinator),
            "upcoming": occasions.upcoming(db, region_ids_of(db, coordinator), now=now),
            "when": lambda moment: local_datetime(moment, locale=locale, weekday=True),
            "base_url": settings.base_url,
            "category": feed.category,
            **extra,
        },
    )


@get("/events", name="list_events", sync_to_thread=True)
def list_events(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    done: FromQuery[str | None] = None,
) -> Template:
    return _list_page(request, db, coordinator, settings, flash=FLASH.get(done or ""))


@post("/regions/{slug:str}/calendar-tag", name="save_calendar_tag", sync_to_thread=True)
def save_calendar_tag(
    request: Request,
    db: DbSession,
    coordinator: CurrentCoordinator,
    settings: AppSettings,
    slug: FromPath[str],
    data: FormData,
) -> Template | Redirect:
    """The CATEGORIES tag of the region's feed, which the newcomer app can filter on."""
    region = get_region_for(db, coordinator, slug)
    tag = clean_text(single(data, "calendar_tag"), max_length=None)
    if len(tag) > TAG_MAX or any(ch in tag for ch in ",;\\"):
        return _list_page(request, db, coordinator, settings, status_code=HTTP_400_BAD_REQUEST,
                          tag_error=TAG_ERROR, tag_region=region.slug, tag_typed=tag)  # fmt: skip
    region.calendar_tag = tag or None
    db.add(region)
    audit.write(db, now=utcnow(), actor=coordinator, action="region.calendar_tag_changed",
                 subject_type="region", subject_id=region.id)  # fmt: skip
    return _back("tag_saved")


@get("/regions/{slug:str}/events/new", name="new_event", sync_to_thread=True)
def new_event(db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]) -> Template:
    region = get_region_for(db, coordinator, slug)
    return _form_page(db, coordinator, region, occasions.OccasionForm())


@post("/regions/{slug:str}/events", name="create_event", sync_to_thread=True)
def create_event(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    form = occasions.parse_occasion_form(db, region, data, now=utcnow(), new=True)
    if form.errors:
        return _form_page(db, coordinator, region, form, status_code=HTTP_400_BAD_REQUEST)
    occasions.save_occasion(db, region, form, coordinator=coordinator)
    return _back("created")


@get("/events/{occasion_id:int}", name="edit_event", sync_to_thread=True)
def edit_event(db: DbSession, coordinator: CurrentCoordinator, occasion_id: RowId) -> Template:
    occasion = get_occasion_for(db, coordinator, occasion_id)
    region = db.get(Region, occasion.region_id)
    assert region is not None  # noqa: S101 (a foreign key)
    return _form_page(db, coordinator, region, occasions.form_for(occasion), occasion=occasion)


@post("/events/{occasion_id:int}", name="save_event", sync_to_thread=True)
def save_event(
    db: DbSession, coordinator: CurrentCoordinator, occasion_id: RowId, data: FormData
) -> Template | Redirect:
    occasion = get_occasion_for(db, coordinator, occasion_id)
    region = db.get(Region, occasion.region_id)
    assert region is not None  # noqa: S101 (a foreign key)
    form = occasions.parse_occasion_form(db, region, data, now=utcnow(), new=False)
    if form.errors:
        return _form_page(db, coordinator, region, form, occasion=occasion,
                          status_code=HTTP_400_BAD_REQUEST)  # fmt: skip
    occasions.save_occasion(db, region, form, coordinator=coordinator, occasion=occasion)
    signups.after_change(db, occasion, now=utcnow())
    return _back("changed")


@post("/events/{occasion_id:int}/cancel", name="cancel_event", sync_to_thread=True)
def cancel_event(db: DbSession, coordinator: CurrentCoordinator, occasion_id: RowId) -> Redirect:
    occasion = get_occasion_for(db, coordinator, occasion_id)
    occasions.cancel(db, occasion, coordinator=coordinator)
    return _back("cancelled")


@post("/events/{occasion_id:int}/cancel-date", name="cancel_event_date", sync_to_thread=True)
def cancel_event_date(
    db: DbSession, coordinator: CurrentCoordinator, occasion_id: RowId, data: FormData
) -> Template | Redirect:
    occasion = get_occasion_for(db, coordinator, occasion_id)
    day = str(data.get("date", ""))
    if not occasions.cancel_date(db, occasion, day, coordinator=coordinator, now=utcnow()):
        region = db.get(Region, occasion.region_id)
        assert region is not None  # noqa: S101 (a foreign key)
        return _form_page(db, coordinator, region, occasions.form_for(occasion),
                          occasion=occasion, status_code=HTTP_400_BAD_REQUEST,
                          date_error=NOT_A_DATE)  # fmt: skip
    return _back("date_cancelled")


coordinator_router = Router(
    path="/coordinator",
    route_handlers=[
        list_events, save_calendar_tag, new_event, create_event, edit_event, save_event,
        cancel_event, cancel_event_date,
    ],
    guards=[coordinator_required],
)  # fmt: skip


@get("/calendar/{name:str}", name="region_calendar", sync_to_thread=True,
     opt={"skip_session": True})  # fmt: skip
def region_calendar(request: Request, db: DbSession, name: FromPath[str]) -> Response[bytes]:
    """The region's public events as iCalendar (``/calendar/kassel.ics``), for Integreat."""
    slug, dot, extension = name.rpartition(".")
    if not dot or extension != "ics":
        raise NotFoundException()
    region = db.scalars(select(Region).where(col(Region.slug) == slug.replace("\x00", ""))).first()
    if region is None:
        raise NotFoundException()
    body = feed.region_feed(db, region, now=utcnow())
    tag = feed.etag(body)
    headers = {"etag": tag, "cache-control": f"public, max-age={FEED_MAX_AGE}"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    # Litestar adds "; charset=utf-8" to a text type itself.
    return Response(content=body, media_type="text/calendar", headers=headers)


# --- the monthly "what's on" e-mail: the link in it switches it off (or on again) ----------


def _whats_on_page(token: str, *, on: bool, done: bool = False, status_code: int = 200) -> Template:
    return Template(template_name="events/whats_on.html", status_code=status_code,
                    context={"token": token, "on": on, "done": done})  # fmt: skip


def _link_problem(problem: links.LinkError) -> Template:
    return Template(template_name="me/link_problem.html", status_code=HTTP_400_BAD_REQUEST,
                    context={"problem": problem.code})  # fmt: skip


# A link from an e-mail, no login: no session to start (SECURITY.md F2); the form's CSRF
# cookie is set as on every page with a form.
@get("/whats-on/{token:str}", name="whats_on_form", sync_to_thread=True,
     opt={"skip_session": True})  # fmt: skip
def whats_on_form(db: DbSession, token: FromPath[str], done: FromQuery[bool] = False) -> Template:
    """Only shows the choice (mail scanners open links); the button sends it."""
    try:
        person = whats_on.person_of_link(db, token, now=utcnow())
    except links.LinkError as problem:
        return _link_problem(problem)
    return _whats_on_page(token, on=person.whats_on_mail, done=done)


@post("/whats-on/{token:str}", name="switch_whats_on_by_link", sync_to_thread=True,
      opt={"skip_session": True})  # fmt: skip
def switch_whats_on_by_link(
    db: DbSession, token: FromPath[str], data: FormData
) -> Template | Redirect:
    now = utcnow()
    try:
        person = whats_on.person_of_link(db, token, now=now)
    except links.LinkError as problem:
        return _link_problem(problem)
    choice = single(data, "mail")
    if choice not in ("on", "off"):
        return _whats_on_page(token, on=person.whats_on_mail, status_code=HTTP_400_BAD_REQUEST)
    whats_on.switch(db, person, on=choice == "on", now=now)
    return Redirect(path=f"/whats-on/{token}", query_params={"done": "1"},
                    status_code=HTTP_303_SEE_OTHER)  # fmt: skip


routers = [
    coordinator_router,
    Router(path="/", route_handlers=[region_calendar, whats_on_form, switch_whats_on_by_link]),
]
