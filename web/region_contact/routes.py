"""A region's contact for participants (the signature of its e-mails)."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from web.core.access import get_region_for
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession
from web.core.forms import FormData
from web.core.models import Coordinator, Region, utcnow
from web.region_contact import region_contact


def _page(
    coordinator: Coordinator, region: Region, form: region_contact.ContactForm, *, saved: bool
) -> Template:
    return Template(
        template_name="region_contact/form.html",
        context={"coordinator": coordinator, "region": region, "form": form, "saved": saved},
        status_code=HTTP_400_BAD_REQUEST if form.errors else 200,
    )


@get("/regions/{slug:str}/contact", name="show_region_contact", sync_to_thread=True)
def show_region_contact(
    db: DbSession,
    coordinator: CurrentCoordinator,
    slug: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:
    region = get_region_for(db, coordinator, slug)
    return _page(coordinator, region, region_contact.ContactForm.of(region), saved=done == "saved")


@post("/regions/{slug:str}/contact", name="save_region_contact", sync_to_thread=True)
def save_region_contact(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    form = region_contact.parse(data)
    if form.errors:
        return _page(coordinator, region, form, saved=False)
    region_contact.save(db, region, form, coordinator=coordinator, now=utcnow())
    return Redirect(path=f"/coordinator/regions/{region.slug}/contact",
                    query_params={"done": "saved"}, status_code=HTTP_303_SEE_OTHER)  # fmt: skip


router = Router(
    path="/coordinator",
    route_handlers=[show_region_contact, save_region_contact],
    guards=[coordinator_required],
)
