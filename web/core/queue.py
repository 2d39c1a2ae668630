"""The job queue: one Huey object that features put their jobs on, and ``tandem worker``
consumes (web/jobs/worker.py).

Features register their jobs with ``@huey.task()`` / ``@huey.periodic_task()`` in their own
modules (matching runs in web/runs/jobs.py, the periodic jobs in web/jobs/tasks.py). Where
the jobs wait is a setting, chosen once per process by ``configure(settings)``:

* ``TANDEM_QUEUE_URL`` empty: a SQLite file beside the database (the embedded default:
  ``make run`` needs no other service);
* ``redis://…``: Redis, shared by web processes and workers on several machines;
* ``immediate``: no queue; a job runs at once in the process that queued it (tests,
  and the benchmark's "before").

A job reaches the database through ``context()``: the settings and an engine of the
process it runs in. A job that fails for good (its retries used up) is written to the
``failed_job`` table, where admins see it and can queue it again (web/jobs/routes.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey
from huey.api import Task
from huey.signals import SIGNAL_ERROR
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from web.core.models import FailedJob, utcnow
from web.core.settings import ROOT, Settings

logger = logging.getLogger(__name__)

QUEUE_NAME = "tandem"
IMMEDIATE = "immediate"
ERROR_MAX_LENGTH = 500

# Results are not kept: a job's outcome is in the database (a run's status, the outbox).
huey = Huey(QUEUE_NAME, results=False, utc=True, storage_class=MemoryStorage)


@dataclass
class JobContext:
    settings: Settings
    engine: Engine


_context: JobContext | None = None


def queue_location(settings: Settings) -> str:
    """What ``TANDEM_QUEUE_URL`` means for these settings: ``immediate``, a Redis URL or
    the path of the SQLite file."""
    url = settings.queue_url.strip()
    if url == IMMEDIATE or url.startswith(("redis://", "rediss://", "unix://")):
        return url
    if url:
        return url.removeprefix("sqlite:///")
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            path = Path(database)
            return str(path.with_name(f"{path.stem}.queue.db"))
    return str(ROOT / "var" / "queue.db")


def configure(settings: Settings, engine: Engine) -> None:
    """Point the queue at the storage ``settings`` name and give jobs this process's engine."""
    global _context
    location = queue_location(settings)
    if location == IMMEDIATE:
        huey.immediate = True
    else:
        huey.immediate = False
        if location.startswith(("redis://", "rediss://", "unix://")):
            huey.storage = RedisStorage(QUEUE_NAME, url=location)
        else:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
            huey.storage = SqliteStorage(QUEUE_NAME, filename=location)
    _context = JobContext(settings=settings, engine=engine)


def context() -> JobContext:
    if _context is None:
        raise RuntimeError("the job queue is not configured (web.core.queue.configure)")
    return _context


def is_immediate() -> bool:
    return bool(huey.immediate)


def after_commit(session: Session, enqueue: Callable[[], Any]) -> None:
    """Queue a job once ``session``'s transaction has committed (the job reads what it wrote);
    after a rollback nothing is queued."""
    cancelled = False

    def committed(_session: Session) -> None:
        if not cancelled:
            enqueue()

    def rolled_back(_session: Session) -> None:
        nonlocal cancelled
        cancelled = True  # the listener stays, but a later commit of this session is not ours

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


def queue_again(task_name: str, arguments: list[Any]) -> None:
    """Queue the job ``task_name`` with ``arguments`` (a failed job an admin retries)."""
    task_class = huey._registry.string_to_task(task_name)  # noqa: SLF001 (Huey has no public lookup)
    huey.enqueue(task_class(args=tuple(arguments)))


# --- failed jobs ---------------------------------------------------------------------------


def describe(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:ERROR_MAX_LENGTH]


@huey.signal(SIGNAL_ERROR)
def _record_failure(_signal: str, task: Task, exc: BaseException | None = None) -> None:
    """A job failed: once its retries are used up, keep it for the admins' page."""
    if task.retries:
        return  # Huey queues it again after its delay
    if _context is None:
        return
    try:
        arguments = json.loads(json.dumps(list(task.args or ())))
    except (TypeError, ValueError):
        arguments = []
    try:
        with Session(_context.engine) as session, session.begin():
            session.add(
                FailedJob(
                    task=huey._registry.task_to_string(type(task)),  # noqa: SLF001
                    arguments=arguments,
                    error=describe(exc) if exc is not None else "unknown",
                    failed_at=utcnow(),
                )
            )
    except Exception:
        logger.exception("could not record the failed job %s", task.name)
