"""Matching runs: the regions, one button to run matching, the run's status, and the
"nobody is lost" views (unmatched newcomers and recruiting gaps)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from litestar import Request, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_409_CONFLICT
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core.access import get_region_for, region_ids_of, visible_regions
from web.core.auth import coordinator_required
from web.core.deps import AppSettings, CurrentCoordinator, DbSession, RowId
from web.core.i18n import N_, negotiate
from web.core.models import Coordinator, MatchingRun, Participant, Place, Region, utcnow
from web.core.reasons import rule_label
from web.core.sql import rel
from web.runs import whatif
from web.runs.gaps import picture as gap_picture
from web.runs.jobs import queue_whatif, start_and_queue
from web.runs.runs import (
    STALE_ERROR,
    RunAlreadyRunning,
    is_stale,
    last_done_run,
    latest_runs,
    region_counts,
    waiting_reasons,
)

REFRESH_SECONDS = 2


def _today() -> date:
    return date.today()  # noqa: DTZ011 (waiting days are counted in local days)


def _regions_page(
    db: Session, coordinator: Coordinator, *, busy: RunAlreadyRunning | None = None
) -> Template:
    regions = visible_regions(db, coordinator)
    region_ids = [region.id for region in regions if region.id is not None]
    runs, now = latest_runs(db, region_ids), utcnow()
    return Template(
        template_name="runs/regions.html",
        context={
            "coordinator": coordinator,
            "regions": regions,
            "counts": region_counts(db, region_ids),
            "runs": runs,
            "states": {
                region_id: run_state(run, stale=is_stale(run, now=now))
                for region_id, run in runs.items()
            },
            "busy": busy,
        },
        status_code=HTTP_409_CONFLICT if busy else 200,
    )


@get("/regions", name="list_regions", sync_to_thread=True)
def list_regions(db: DbSession, coordinator: CurrentCoordinator) -> Template:
    return _regions_page(db, coordinator)


@post("/regions/{slug:str}/match", name="run_matching", sync_to_thread=True)
def run_matching(
    db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]
) -> Template | Redirect:
    region = get_region_for(db, coordinator, slug)
    try:
        # The job is queued when this request's transaction commits; a worker runs it.
        run_id = start_and_queue(db, region, coordinator, today=_today())
    except RunAlreadyRunning as busy:
        return _regions_page(db, coordinator, busy=busy)
    return Redirect(path=f"/coordinator/runs/{run_id}", status_code=HTTP_303_SEE_OTHER)


def run_state(run: MatchingRun, *, stale: bool = False) -> str:
    """``queued``, ``running``, ``done`` or ``failed`` (web.core.vocabulary.RUN_STATES)."""
    if run.status == "running":
        if stale:
            return "failed"
        return "queued" if run.stats.get("stage", "queued") == "queued" else "running"
    return run.status


def _run_for(db: Session, coordinator: Coordinator, run_id: int) -> MatchingRun:
    run = db.get(MatchingRun, run_id)
    region_ids = region_ids_of(db, coordinator)
    if run is None or (region_ids is not None and run.region_id not in region_ids):
        raise NotFoundException()
    return run


@get("/runs/{run_id:int}", name="show_run", sync_to_thread=True)
def show_run(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, run_id: RowId,
    done: FromQuery[str | None] = None,
) -> Template:  # fmt: skip
    run = _run_for(db, coordinator, run_id)
    region = db.get(Region, run.region_id)
    started_by = db.get(Coordinator, run.started_by_id) if run.started_by_id else None
    stats = run.stats.get("stats", {}) if run.status == "done" else {}
    now = utcnow()
    # A run whose worker died shows as failed at once (the next start marks it so).
    stale = is_stale(run, now=now)
    state = run_state(run, stale=stale)
    return Template(
        template_name="runs/run.html",
        context={
            "coordinator": coordinator,
            "run": run,
            "state": state,
            "error": STALE_ERROR if stale else run.error,
            "elapsed": int((now - run.started_at).total_seconds()) if state == "running" else 0,
            "region": region,
            "started_by": started_by,
            "stage": run.stats.get("stage", ""),
            "stats": stats,
            "gap_count": len(run.stats.get("gaps", [])),
            "waiting": [
                (code, rule_label(code, locale=negotiate(request)), count)
                for code, count in waiting_reasons(run)
            ],
            "refresh": REFRESH_SECONDS if state in ("queued", "running") else None,
            "whatif": whatif.view(db, run, region) if region is not None else None,
            "whatif_flash": WHATIF_FLASH.get(done or ""),
        },
    )


# --- what would help the newcomers still waiting (web.runs.whatif) -----------------------------

WHATIF_FLASH = {
    "whatif": N_("What would help is being computed. This page shows it when it is ready."),
    "level": N_("The minimum language level of the region is changed. Start the matching "
                "again to see the new suggestions."),
    "radius": N_("The maximum distance of the region is changed. Start the matching again to "
                 "see the new suggestions."),
    "online": N_("The people concerned are asked whether they would meet online: by e-mail, "
                 "or as a phone task on your overview for those without e-mail."),
}  # fmt: skip


def _back_to_run(run: MatchingRun, done: str) -> Redirect:
    return Redirect(path=f"/coordinator/runs/{run.id}", query_params={"done": done},
                    status_code=HTTP_303_SEE_OTHER)  # fmt: skip


@post("/runs/{run_id:int}/whatif", name="compute_whatif", sync_to_thread=True)
def compute_whatif(db: DbSession, coordinator: CurrentCoordinator, run_id: RowId) -> Redirect:
    run = _run_for(db, coordinator, run_id)
    if run.status != "done":
        raise NotFoundException()
    queue_whatif(db, run, today=_today())
    return _back_to_run(run, "whatif")


def _relaxation_for(
    db: Session, coordinator: Coordinator, run_id: int, relaxation: str
) -> tuple[MatchingRun, Region, whatif.Relaxation]:
    run = _run_for(db, coordinator, run_id)
    region = db.get(Region, run.region_id)
    found = whatif.relaxation_of(whatif.view(db, run, region), relaxation) if region else None
    if region is None or found is None or found.more <= 0:
        raise NotFoundException()
    return run, region, found


def _relax_page(
    coordinator: Coordinator, run: MatchingRun, region: Region, found: whatif.Relaxation,
    *, changed: bool = False,
) -> Template:  # fmt: skip
    return Template(
        template_name="runs/relax.html",
        context={
            "coordinator": coordinator,
            "run": run,
            "region": region,
            "entry": found,
            "changed": changed,
        },  # fmt: skip
        status_code=HTTP_409_CONFLICT if changed else 200,
    )


@get("/runs/{run_id:int}/relax/{relaxation:str}", name="confirm_relaxation", sync_to_thread=True)
def confirm_relaxation(
    db: DbSession, coordinator: CurrentCoordinator, run_id: RowId, relaxation: FromPath[str]
) -> Template:
    run, region, found = _relaxation_for(db, coordinator, run_id, relaxation)
    return _relax_page(coordinator, run, region, found)


@post("/runs/{run_id:int}/relax/{relaxation:str}", name="apply_relaxation", sync_to_thread=True)
def apply_relaxation(
    db: DbSession, coordinator: CurrentCoordinator, settings: AppSettings, run_id: RowId,
    relaxation: FromPath[str],
) -> Template | Redirect:  # fmt: skip
    """Level and radius: the region's setting is relaxed; online: the people concerned are
    asked. The confirmation page posts here."""
    run, region, found = _relaxation_for(db, coordinator, run_id, relaxation)
    now = utcnow()
    if relaxation == "online":
        if found.to_ask == 0:
            raise NotFoundException()
        whatif.ask_online(db, run, found, coordinator=coordinator, settings=settings, now=now)
        return _back_to_run(run, "online")
    try:
        whatif.apply(db, region, found, coordinator=coordinator, now=now)
    except whatif.SettingsChanged:
        return _relax_page(coordinator, run, region, found, changed=True)
    return _back_to_run(run, relaxation)


def _newcomers_by_public_id(
    db: Session, region: Region, public_ids: list[str]
) -> dict[str, Participant]:
    if not public_ids:
        return {}
    people = db.scalars(
        select(Participant)
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Place.region_id) == region.id,
            col(Participant.public_id).in_(public_ids),
        )
        .options(
            selectinload(rel(Participant.languages)),
            selectinload(rel(Participant.place)),
        )
    ).all()
    return {person.public_id: person for person in people}


@get("/regions/{slug:str}/unmatched", name="unmatched", sync_to_thread=True)
def unmatched(
    request: Request, db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]
) -> Template:
    region = get_region_for(db, coordinator, slug)
    run = last_done_run(db, region)
    entries = run.stats.get("unmatched", []) if run else []
    people = _newcomers_by_public_id(db, region, [entry["newcomer"] for entry in entries])
    locale = negotiate(request)
    today = _today()
    rows = []
    for entry in entries:
        person = people.get(entry["newcomer"])
        if person is None:  # erased since the run
            continue
        rows.append(
            {
                "person": person,
                "days_waiting": (today - person.waiting_since).days
                if person.waiting_since
                else None,
                "blocked_by": entry["blocked_by"],
                "rule": rule_label(entry["blocked_by"], locale=locale),
                "feasible": entry.get("feasible", 0),
            }
        )
    rows.sort(key=lambda row: -(row["days_waiting"] or 0))
    per_rule = Counter(row["blocked_by"] for row in rows)
    return Template(
        template_name="runs/unmatched.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "run": run,
            "rows": rows,
            "per_rule": [
                (rule_label(code, locale=locale), count) for code, count in per_rule.most_common()
            ],
        },
    )


@get("/regions/{slug:str}/gaps", name="gaps", sync_to_thread=True)
def gaps(db: DbSession, coordinator: CurrentCoordinator, slug: FromPath[str]) -> Template:
    region = get_region_for(db, coordinator, slug)
    run = last_done_run(db, region)
    return Template(
        template_name="runs/gaps.html",
        context={
            "coordinator": coordinator,
            "region": region,
            "run": run,
            "map": gap_picture(db, region, run) if run else None,
        },
    )


router = Router(
    path="/coordinator",
    route_handlers=[
        list_regions,
        run_matching,
        show_run,
        compute_whatif,
        confirm_relaxation,
        apply_relaxation,
        unmatched,
        gaps,
    ],
    guards=[coordinator_required],
)
