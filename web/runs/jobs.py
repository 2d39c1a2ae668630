"""Matching runs as jobs of the queue (web.core.queue): a region's run, or every region's.

The run's row is written by the request (``start_run``, status ``running``, stage
``queued``) and the job is queued once that transaction has committed; the worker that
takes the job loads, solves and saves it (``execute_run``: its own short transactions,
the suggestions replaced in one), writing a heartbeat while it works. A worker killed
mid-run leaves the suggestions from before untouched; the run is failed once its heartbeat
is older than ``HEARTBEAT_LOST`` and can be started again.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.db import transaction
from web.core.models import Coordinator, MatchingRun, Region, utcnow
from web.core.queue import after_commit, context, huey
from web.core.sql import id_of
from web.runs import whatif
from web.runs.runs import RunAlreadyRunning, execute_run, start_run

logger = logging.getLogger(__name__)


@huey.task()
def matching_run(run_id: int, today: str) -> None:
    """Run ``run_id`` (already inserted as ``running``) for the day ``today`` (ISO)."""
    logger.info("matching run %s started", run_id)
    engine = context().engine
    execute_run(engine, run_id, today=date.fromisoformat(today))
    # What would help those still waiting: its own job, so that the run is done (and its
    # suggestions on screen) before the engine runs again with each rule relaxed.
    with transaction(engine) as session:
        run = session.get(MatchingRun, run_id)
        if run is None or run.status != "done":
            return
        whatif.mark_queued(session, run)
    whatif_report(run_id, today)


@huey.task()
def whatif_report(run_id: int, today: str) -> None:
    """Compute what each single relaxation would achieve for run ``run_id`` (web.runs.whatif)."""
    whatif.compute(context().engine, run_id, today=date.fromisoformat(today))


@huey.task()
def matching_run_everywhere(today: str) -> None:
    """The whole country: one run per region, each its own job (several workers share them);
    a region whose run is still going is left to it."""
    engine = context().engine
    with transaction(engine) as session:
        regions = session.scalars(select(Region).order_by(col(Region.id))).all()
    for region in regions:
        with transaction(engine) as session:
            try:
                run = start_run(session, region, None, now=utcnow())
            except RunAlreadyRunning:
                continue
            queue_run(session, id_of(run), today=date.fromisoformat(today))


def queue_run(session: Session, run_id: int, *, today: date) -> None:
    """Queue the job for run ``run_id`` once ``session`` has committed its row."""
    after_commit(session, lambda: matching_run(run_id, today.isoformat()))


def queue_whatif(session: Session, run: MatchingRun, *, today: date) -> None:
    """Queue the what-if of a done run (on a coordinator's request) once ``session`` commits."""
    whatif.mark_queued(session, run)
    run_id = id_of(run)
    after_commit(session, lambda: whatif_report(run_id, today.isoformat()))


def start_and_queue(
    session: Session, region: Region, coordinator: Coordinator | None, *, today: date
) -> int:
    """Insert a queued run for ``region`` and queue its job; raises ``RunAlreadyRunning``."""
    run = start_run(session, region, coordinator, now=utcnow())
    assert run.id is not None  # noqa: S101 (flushed)
    queue_run(session, run.id, today=today)
    return run.id
