"""A region's matching weights: shown, edited with a preview, learned from decisions."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

import matching
from web.core.access import get_region_for
from web.core.auth import coordinator_required
from web.core.deps import CurrentCoordinator, DbSession
from web.core.forms import FormData
from web.core.i18n import N_
from web.core.models import Coordinator, Region, utcnow
from web.weights import weights

logger = logging.getLogger(__name__)

FLASH = {
    "saved": N_("The new settings are saved. The next matching run uses them."),
    "adopted": N_("The learned weights are adopted. The next matching run uses them."),
}


def _page(
    db: Session,
    coordinator: Coordinator,
    region: Region,
    form: weights.WeightsForm,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    current = weights.current_weights(region)
    return Template(
        template_name="weights/show.html",
        status_code=status_code,
        context={
            "coordinator": coordinator,
            "region": region,
            "form": form,
            "current": current,
            "current_shares": weights.shares(current),
            "defaults": matching.DEFAULT_WEIGHTS,
            "components": [(name, *weights.COMPONENT_TEXT[name]) for name in matching.COMPONENTS],
            "levels": weights.LEVEL_CHOICES,
            "proposal": weights.learned_proposal(db, region),
            "min_decisions": weights.MIN_DECISIONS,
            "min_each": weights.CV_FOLDS,
            **extra,
        },
    )


def _back(region: Region, done: str) -> Redirect:
    return Redirect(path=f"/coordinator/regions/{region.slug}/weights",
                    query_params={"done": done}, status_code=HTTP_303_SEE_OTHER)  # fmt: skip


@get("/regions/{slug:str}/weights", name="region_weights", sync_to_thread=True)
def region_weights(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str],
    done: FromQuery[str | None] = None,
) -> Template:  # fmt: skip
    region = get_region_for(db, coordinator, slug)
    return _page(db, coordinator, region, weights.form_for(region), flash=FLASH.get(done or ""))


@post("/regions/{slug:str}/weights", name="save_weights", sync_to_thread=True)
def save_weights(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    form = weights.parse_weights_form(data)
    if form.errors:
        return _page(db, coordinator, region, form, status_code=HTTP_400_BAD_REQUEST)
    weights.save(db, region, weights=form.values, min_level=form.min_level,
                 max_distance_km=form.distance, coordinator=coordinator)  # fmt: skip
    return _back(region, "saved")


@post("/regions/{slug:str}/weights/preview", name="preview_weights", sync_to_thread=True)
def preview_weights(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template:
    """Run the engine with the proposed settings next to today's; stores nothing."""
    region = get_region_for(db, coordinator, slug)
    form = weights.parse_weights_form(data)
    if form.errors:
        return _page(db, coordinator, region, form, status_code=HTTP_400_BAD_REQUEST)
    current, proposed = weights.preview_inputs(db, region, form, today=utcnow().date())
    # Nothing was written: end the transaction so that SQLite's write lock (taken at BEGIN)
    # is not held while the engine works; the page reloads what it shows.
    db.rollback()
    try:
        preview = weights.run_preview(current, proposed)
    except matching.InputError:
        logger.exception("weights preview failed for region %s", region.id)
        return _page(db, coordinator, region, form, preview_failed=True)
    return _page(db, coordinator, region, form, preview=preview)


@post("/regions/{slug:str}/weights/adopt", name="adopt_weights", sync_to_thread=True)
def adopt_weights(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str], data: FormData
) -> Template | Redirect:
    """Adopt the learned weights the coordinator was shown (sent back as hidden fields)."""
    region = get_region_for(db, coordinator, slug)
    form = weights.parse_weights_form(data, with_settings=False)
    if form.errors:
        page = weights.form_for(region)
        return _page(db, coordinator, region, page, status_code=HTTP_400_BAD_REQUEST,
                     adopt_failed=True)  # fmt: skip
    weights.save(db, region, weights=form.values, coordinator=coordinator,
                 action="region.weights_adopted")  # fmt: skip
    return _back(region, "adopted")


router = Router(
    path="/coordinator",
    route_handlers=[region_weights, save_weights, preview_weights, adopt_weights],
    guards=[coordinator_required],
)
