"""Coordinator pages for a region's meeting places: list, add, change, archive, restore."""

from __future__ import annotations

from typing import Any

from litestar import Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from web.core.access import get_region_for, region_ids_of, visible_regions
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession, RowId
from web.core.forms import FormData
from web.core.i18n import N_
from web.core.models import Coordinator, MeetingPlace, Region
from web.places import meeting_places

FLASH = {
    "created": N_("The place is saved."),
    "changed": N_("Your changes are saved."),
    "archived": N_("The place is archived. It is no longer suggested."),
    "restored": N_("The place is back in the list and is suggested again."),
}


def get_meeting_place_for(
    session: Session, coordinator: Coordinator, place_id: int
) -> MeetingPlace:
    """The place if it belongs to one of the coordinator's regions; 404 otherwise."""
    place = session.get(MeetingPlace, place_id)
    region_ids = region_ids_of(session, coordinator)
    if place is None or (region_ids is not None and place.region_id not in region_ids):
        raise NotFoundException()
    return place


def _form_page(
    db: Session,
    coordinator: Coordinator,
    region: Region,
    form: meeting_places.PlaceForm,
    *,
    place: MeetingPlace | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    return Template(
        template_name="places/form.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "region": region,
            "form": form,
            "place": place,
            "towns": [town.name for town in meeting_places.region_towns(db, region)],
            **extra,
        },
    )


@get("/places", name="list_meeting_places", sync_to_thread=True)
def list_meeting_places(
    db: DbSession, coordinator: CurrentCoordinator, done: FromQuery[str | None] = None
) -> Template:
    region_ids = region_ids_of(db, coordinator)
    return Template(
        template_name="places/list.html",
        context={
            "coordinator": coordinator,
            "regions": visible_regions(db, coordinator),
            "places": meeting_places.places_of(db, region_ids),
            "archived": meeting_places.places_of(db, region_ids, archived=True),
            "flash": FLASH.get(done or ""),
        },
    )


@get("/regions/{slug:str}/places/new", name="new_meeting_place", sync_to_thread=True)
def new_meeting_place(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]
) -> Template:
    region = get_region_for(db, coordinator, slug)
    return _form_page(db, coordinator, region, meeting_places.PlaceForm())


@post("/regions/{slug:str}/places", name="create_meeting_place", sync_to_thread=True)
def create_meeting_place(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    form = meeting_places.parse_place_form(db, region, data)
    if form.errors:
        return _form_page(db, coordinator, region, form, status_code=HTTP_400_BAD_REQUEST)
    meeting_places.save_place(db, region, form, coordinator=coordinator)
    return _back("created")


@get("/places/{place_id:int}", name="edit_meeting_place", sync_to_thread=True)
def edit_meeting_place(db: DbSession, coordinator: CurrentCoordinator, place_id: RowId) -> Template:
    place = get_meeting_place_for(db, coordinator, place_id)
    region = db.get(Region, place.region_id)
    assert region is not None  # noqa: S101 (a foreign key)
    return _form_page(db, coordinator, region, meeting_places.form_for(place), place=place)


@post("/places/{place_id:int}", name="save_meeting_place", sync_to_thread=True)
def save_meeting_place(
    db: DbSession, coordinator: CurrentCoordinator, place_id: RowId, data: FormData
) -> Template | Redirect:
    place = get_meeting_place_for(db, coordinator, place_id)
    region = db.get(Region, place.region_id)
    assert region is not None  # noqa: S101 (a foreign key)
    form = meeting_places.parse_place_form(db, region, data)
    if form.errors:
        return _form_page(db, coordinator, region, form, place=place,
                          status_code=HTTP_400_BAD_REQUEST)  # fmt: skip
    meeting_places.save_place(db, region, form, coordinator=coordinator, place=place)
    return _back("changed")


@post("/places/{place_id:int}/archive", name="archive_meeting_place", sync_to_thread=True)
def archive_meeting_place(
    db: DbSession, coordinator: CurrentCoordinator, place_id: RowId
) -> Redirect:
    place = get_meeting_place_for(db, coordinator, place_id)
    meeting_places.set_archived(db, place, archived=True, coordinator=coordinator)
    return _back("archived")


@post("/places/{place_id:int}/restore", name="restore_meeting_place", sync_to_thread=True)
def restore_meeting_place(
    db: DbSession, coordinator: CurrentCoordinator, place_id: RowId
) -> Redirect:
    place = get_meeting_place_for(db, coordinator, place_id)
    meeting_places.set_archived(db, place, archived=False, coordinator=coordinator)
    return _back("restored")


def _back(done: str) -> Redirect:
    return Redirect(path="/coordinator/places", query_params={"done": done},
                    status_code=HTTP_303_SEE_OTHER)  # fmt: skip


router = Router(
    path="/coordinator",
    route_handlers=[
        list_meeting_places,
        new_meeting_place,
        create_meeting_place,
        edit_meeting_place,
        save_meeting_place,
        archive_meeting_place,
        restore_meeting_place,
    ],
    guards=[coordinator_required],
)
