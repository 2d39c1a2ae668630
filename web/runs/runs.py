"""Running the matching engine for a region and storing its suggestions.

A run goes ``running`` → ``done`` (or ``failed``). While it runs,
``run.stats["stage"]`` says how far it got (``queued``, ``loading``,
``solving``, ``saving``), each stage written in its own short transaction so
that the run page can show progress. When done, ``run.stats`` holds::

    {"stage": "done",
     "stats": {...},          # the engine's stats (pairs, unmatched, total_score, seconds, ...)
     "unmatched": [{...}],    # the engine's unmatched newcomers (public ids), with blocked_by
     "gaps": [{...}]}         # the engine's recruiting gaps

and the region's suggestions (tandems with status ``suggested``) are replaced
by the run's pairs in one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlmodel import Session, col

from web.core import audit, engine_input
from web.core.db import transaction
from web.core.models import (
    Coordinator,
    MatchingRun,
    PairRule,
    Participant,
    Place,
    Region,
    Tandem,
    utcnow,
)
from web.core.sql import id_of, rel, rowcount
from web.core.vocabulary import OPEN_TANDEM_STATUSES
from web.suggestions.suggestions import breaks_child_protection, lacks_guardian

logger = logging.getLogger(__name__)

# A run that never started (its job was lost before a worker took it) is given up after this.
STALE_AFTER = timedelta(minutes=30)
# While a run works, its process writes ``heartbeat_at`` this often; a run whose heartbeat
# is older than HEARTBEAT_LOST lost its worker (killed, machine gone) and is marked failed.
HEARTBEAT = timedelta(seconds=5)
HEARTBEAT_LOST = timedelta(seconds=60)
# A pair that ended this way is never suggested again.
CLOSED_PAIR_STATUSES = ("rejected", "declined", "expired", "ended", "withdrawn")
# ``MatchingRun.error`` holds one of these codes (web.core.vocabulary.RUN_ERRORS translates
# them); the details of an engine failure are in the worker's log and on the failed-jobs page.
STALE_ERROR = "worker_lost"
ENGINE_ERROR = "engine_failed"


class RunAlreadyRunning(Exception):
    """Another matching run for this region has not finished yet."""

    def __init__(self, region: Region, running: MatchingRun | None = None) -> None:
        message = f"matching is already running for {region.slug}"
        if running is not None:
            message += f" (run {running.id}, started {running.started_at:%Y-%m-%d %H:%M} UTC)"
        super().__init__(message)
        self.region = region
        self.running = running


# --- the engine's input -----------------------------------------------------------------------


def _people(session: Session, region: Region, role: str) -> list[Participant]:
    query = (
        select(Participant)
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Place.region_id) == region.id,
            col(Participant.role) == role,
            col(Participant.status) == "active",
        )
        .options(
            contains_eager(rel(Participant.place)),
            selectinload(rel(Participant.languages)),
        )
        .order_by(col(Participant.id))
    )
    if role == "local":
        query = query.options(selectinload(rel(Participant.vetting)))
    else:
        # A newcomer in a proposal or an active tandem is not matched again.
        query = query.where(
            ~exists().where(
                col(Tandem.newcomer_id) == col(Participant.id),
                col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
            )
        )
    return list(session.scalars(query).unique())


def _region_input(
    session: Session, region: Region, *, today: date, weights: dict[str, float] | None = None
) -> tuple[dict[str, Any], dict[str, int]]:
    """The engine instance and the map from public ids back to participant ids."""
    # A person under 18 without a guardian recorded is not matched at all (issue 16).
    locals_ = [p for p in _people(session, region, "local") if not lacks_guardian(p, today=today)]
    newcomers = [
        p for p in _people(session, region, "newcomer") if not lacks_guardian(p, today=today)
    ]
    ids = {person.public_id: id_of(person) for person in (*locals_, *newcomers)}
    local_by_id = {person.id: person for person in locals_}
    newcomer_by_id = {person.id: person for person in newcomers}

    def in_input(local_id: int | None, newcomer_id: int | None) -> bool:
        return local_id in local_by_id and newcomer_id in newcomer_by_id

    rules = session.execute(
        select(col(PairRule.kind), col(PairRule.local_id), col(PairRule.newcomer_id))
        .where(col(PairRule.region_id) == region.id)
        .order_by(col(PairRule.created_at), col(PairRule.id))
    ).all()
    # The engine refuses a newcomer pinned twice or a local pinned beyond its
    # remaining capacity; the oldest pins win.
    pinned: list[tuple[int, int]] = []
    pins_per_local: dict[int, int] = {}
    pinned_newcomers: set[int] = set()
    for kind, local_id, newcomer_id in rules:
        if kind != "pin" or not in_input(local_id, newcomer_id):
            continue
        local = local_by_id[local_id]
        # The engine keeps a pinned pair whatever rule it breaks; this one it must not
        # (a pin from before the certificate was withdrawn or the birth year corrected).
        if breaks_child_protection(local, newcomer_by_id[newcomer_id], today=today):
            continue
        remaining = max(0, local.capacity - local.open_tandems)
        if newcomer_id in pinned_newcomers or pins_per_local.get(local_id, 0) >= remaining:
            continue
        pinned.append((local_id, newcomer_id))
        pinned_newcomers.add(newcomer_id)
        pins_per_local[local_id] = pins_per_local.get(local_id, 0) + 1

    forbidden = {
        (local_id, newcomer_id)
        for kind, local_id, newcomer_id in rules
        if kind == "forbid" and in_input(local_id, newcomer_id)
    }
    closed = session.execute(
        select(col(Tandem.local_id), col(Tandem.newcomer_id))
        .where(
            col(Tandem.region_id) == region.id,
            col(Tandem.status).in_(CLOSED_PAIR_STATUSES),
        )
        .distinct()
    ).all()
    forbidden.update((local_id, newcomer_id) for local_id, newcomer_id in closed)
    forbidden = {pair for pair in forbidden if in_input(*pair)} - set(pinned)

    def public(pair: tuple[int, int]) -> tuple[str, str]:
        return local_by_id[pair[0]].public_id, newcomer_by_id[pair[1]].public_id

    instance = engine_input.instance(
        today=today,
        region=region,
        locals_=[(person, person.place) for person in locals_],
        newcomers=[(person, person.place) for person in newcomers],
        pinned=[public(pair) for pair in pinned],
        forbidden=[public(pair) for pair in sorted(forbidden)],
        weights=weights,
    )
    return instance, ids


def load_region_input(
    session: Session, region: Region, *, today: date, weights: dict[str, float] | None = None
) -> dict[str, Any]:
    """The engine instance for ``region``: its active locals (remaining capacity) and the
    active newcomers not yet in an open tandem, with pinned and ruled-out pairs."""
    instance, _ids = _region_input(session, region, today=today, weights=weights)
    return instance


# --- runs ---------------------------------------------------------------------------------


def stale_condition(now: datetime) -> ColumnElement[bool]:
    """A running run whose worker is gone: its heartbeat stopped, or it never started."""
    return and_(
        col(MatchingRun.status) == "running",
        or_(
            and_(
                col(MatchingRun.heartbeat_at).is_not(None),
                col(MatchingRun.heartbeat_at) < now - HEARTBEAT_LOST,
            ),
            and_(
                col(MatchingRun.heartbeat_at).is_(None),
                col(MatchingRun.started_at) < now - STALE_AFTER,
            ),
        ),
    )


def is_stale(run: MatchingRun, *, now: datetime) -> bool:
    if run.status != "running":
        return False
    if run.heartbeat_at is not None:
        return run.heartbeat_at < now - HEARTBEAT_LOST
    return run.started_at < now - STALE_AFTER


def fail_stale_runs(session: Session, region: Region | None, *, now: datetime) -> int:
    """Mark runs whose worker is gone (of ``region``, or of every region) as failed."""
    condition = stale_condition(now)
    if region is not None:
        condition = and_(col(MatchingRun.region_id) == region.id, condition)
    result = session.execute(
        update(MatchingRun)
        .where(condition)
        .values(status="failed", error=STALE_ERROR, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) or 0


def running_run(session: Session, region: Region) -> MatchingRun | None:
    return session.scalars(
        select(MatchingRun).where(
            col(MatchingRun.region_id) == region.id, col(MatchingRun.status) == "running"
        )
    ).first()


def start_run(
    session: Session, region: Region, coordinator: Coordinator | None, *, now: datetime
) -> MatchingRun:
    """Insert a ``running`` run for ``region``; raises ``RunAlreadyRunning`` if one is."""
    fail_stale_runs(session, region, now=now)
    run = MatchingRun(
        region_id=id_of(region),
        status="running",
        started_by_id=coordinator.id if coordinator is not None else None,
        started_at=now,
        stats={"stage": "queued"},
    )
    try:
        # The partial unique index admits one running run per region, also
        # between two processes; a check before the insert would race.
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        raise RunAlreadyRunning(region, running_run(session, region)) from None
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="matching.run",
        subject_type="matching_run",
        subject_id=run.id,
    )
    session.flush()
    return run


def _set_stage(engine: Engine, run_id: int, stage: str, **extra: Any) -> None:
    with transaction(engine) as session:
        session.execute(
            update(MatchingRun)
            .where(col(MatchingRun.id) == run_id, col(MatchingRun.status) == "running")
            .values(stats={"stage": stage, **extra})
        )


@contextmanager
def _heartbeat(engine: Engine, run_id: int) -> Iterator[None]:
    """Write the run's ``heartbeat_at`` now and every HEARTBEAT while the block runs (the
    solver is one long call): a run whose process dies stops beating and is failed."""
    stop = threading.Event()

    def beat() -> None:
        with transaction(engine) as session:
            session.execute(
                update(MatchingRun)
                .where(col(MatchingRun.id) == run_id, col(MatchingRun.status) == "running")
                .values(heartbeat_at=utcnow())
            )

    def loop() -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            try:
                beat()
            except Exception:
                logger.exception("heartbeat of matching run %s failed", run_id)

    beat()
    thread = threading.Thread(target=loop, name=f"run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def execute_run(engine: Engine, run_id: int, *, today: date, solve: Any = None) -> None:
    """Load, solve and store run ``run_id`` in its own transactions.

    CPU-heavy: call it from a worker (web/runs/jobs.py) or a command, never on the event
    loop. Never raises: a failure is stored on the run (and logged).
    """
    try:
        with _heartbeat(engine, run_id):
            _execute(engine, run_id, today=today, solve=solve)
    except Exception:
        logger.exception("matching run %s failed", run_id)
        try:
            with transaction(engine) as session:
                session.execute(
                    update(MatchingRun)
                    .where(col(MatchingRun.id) == run_id, col(MatchingRun.status) == "running")
                    .values(status="failed", error=ENGINE_ERROR, finished_at=utcnow())
                )
        except Exception:
            logger.exception("could not mark matching run %s as failed", run_id)


def _execute(engine: Engine, run_id: int, *, today: date, solve: Any) -> None:
    if solve is None:
        from matching import solve  # heavy imports (numpy, OR-Tools) only when matching

    _set_stage(engine, run_id, "loading")
    with transaction(engine) as session:
        run = session.get(MatchingRun, run_id)
        if run is None or run.status != "running":
            return
        region = session.get(Region, run.region_id)
        assert region is not None  # noqa: S101 (a run's region is cascaded away with the run)
        instance, ids = _region_input(session, region, today=today)
        region_id = id_of(region)

    _set_stage(
        engine,
        run_id,
        "solving",
        locals=len(instance["locals"]),
        newcomers=len(instance["newcomers"]),
    )
    result = solve(instance).to_dict()

    _set_stage(engine, run_id, "saving")
    now = utcnow()
    with transaction(engine) as session:
        run = session.get(MatchingRun, run_id, with_for_update=True)
        if run is None or run.status != "running":
            # Marked failed as stale meanwhile: a newer run may own the suggestions.
            logger.warning("matching run %s was stopped before it could save", run_id)
            return
        session.execute(
            delete(Tandem).where(
                col(Tandem.region_id) == region_id,
                col(Tandem.status) == "suggested",
                col(Tandem.manual).is_(False),
            )
        )
        session.add_all(
            Tandem(
                local_id=ids[pair["local"]],
                newcomer_id=ids[pair["newcomer"]],
                region_id=region_id,
                run_id=run_id,
                status="suggested",
                score=min(1.0, max(0.0, float(pair["score"]))),
                components=pair["components"],
                reasons=pair["reasons"],
                pinned=bool(pair["pinned"]),
                created_at=now,
            )
            for pair in result["pairs"]
        )
        run.settings = instance["settings"]
        run.stats = {
            "stage": "done",
            "stats": result["stats"],
            "unmatched": result["unmatched"],
            "gaps": result["gaps"],
        }
        run.status = "done"
        run.finished_at = now
        session.flush()


# --- reading runs -----------------------------------------------------------------------------


def waiting_reasons(run: MatchingRun) -> list[tuple[str, int]]:
    """Why the newcomers a finished run left waiting wait: the engine's ``blocked_by`` codes
    with how many newcomers each, the most common first."""
    counts = Counter(entry.get("blocked_by", "") for entry in run.stats.get("unmatched", []))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def last_done_run(session: Session, region: Region) -> MatchingRun | None:
    return session.scalars(
        select(MatchingRun)
        .where(col(MatchingRun.region_id) == region.id, col(MatchingRun.status) == "done")
        .order_by(col(MatchingRun.finished_at).desc(), col(MatchingRun.id).desc())
        .limit(1)
    ).first()


def latest_runs(session: Session, region_ids: list[int]) -> dict[int, MatchingRun]:
    """The newest run of each region, in one query."""
    if not region_ids:
        return {}
    newest = aliased(MatchingRun)
    runs = session.scalars(
        select(MatchingRun).where(
            col(MatchingRun.region_id).in_(region_ids),
            ~exists().where(
                col(newest.region_id) == col(MatchingRun.region_id),
                col(newest.id) > col(MatchingRun.id),
            ),
        )
    ).all()
    return {run.region_id: run for run in runs}


def region_counts(session: Session, region_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per region: active locals and newcomers, newcomers waiting (not in an open
    tandem) and open suggestions — in three queries for any number of regions."""
    counts = {
        region_id: {"locals": 0, "newcomers": 0, "waiting": 0, "suggestions": 0}
        for region_id in region_ids
    }
    if not region_ids:
        return counts
    active = (
        select(col(Place.region_id), col(Participant.role), func.count())
        .select_from(Participant)
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(col(Place.region_id).in_(region_ids), col(Participant.status) == "active")
        .group_by(col(Place.region_id), col(Participant.role))
    )
    for region_id, role, number in session.execute(active):
        counts[region_id]["locals" if role == "local" else "newcomers"] = number
    waiting = (
        select(col(Place.region_id), func.count())
        .select_from(Participant)
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Place.region_id).in_(region_ids),
            col(Participant.status) == "active",
            col(Participant.role) == "newcomer",
            ~exists().where(
                col(Tandem.newcomer_id) == col(Participant.id),
                col(Tandem.status).in_(OPEN_TANDEM_STATUSES),
            ),
        )
        .group_by(col(Place.region_id))
    )
    for region_id, number in session.execute(waiting):
        counts[region_id]["waiting"] = number
    suggestions = (
        select(col(Tandem.region_id), func.count())
        .where(col(Tandem.region_id).in_(region_ids), col(Tandem.status) == "suggested")
        .group_by(col(Tandem.region_id))
    )
    for region_id, number in session.execute(suggestions):
        counts[region_id]["suggestions"] = number
    return counts
