"""``tandem worker``: the queue's consumer, and the queue's wiring in the web app.

A worker takes jobs from the queue (web.core.queue) and runs them in ``--threads``
threads; its scheduler queues the periodic jobs (web/jobs/tasks.py). Start as many
workers, on as many machines, as the work needs: with Redis they share one queue, and
the periodic jobs' claims let each run once. SIGTERM (``systemctl stop``) and Ctrl-C
stop a worker gracefully: it takes no new job and finishes the ones it runs.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from web.core import mail
from web.core.db import transaction
from web.core.models import utcnow
from web.core.queue import IMMEDIATE, configure, huey, is_immediate, queue_location
from web.core.settings import Settings, SettingsError
from web.jobs import tasks
from web.runs import jobs as run_jobs
from web.runs.runs import fail_stale_runs

if TYPE_CHECKING:
    from litestar import Litestar
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

# Every module that defines jobs: imported here so that a worker knows them all.
JOB_MODULES = (tasks, run_jobs)


def consume(settings: Settings, engine: Engine, *, threads: int, periodic: bool) -> None:
    """Consume jobs until stopped (``tandem worker``, in web/cli.py)."""
    if queue_location(settings) == IMMEDIATE:
        raise SettingsError("TANDEM_QUEUE_URL=immediate runs jobs where they are queued: no worker")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    configure(settings, engine)
    # Runs whose worker died while no one looked are failed now, so they can start again.
    with transaction(engine) as session:
        failed = fail_stale_runs(session, None, now=utcnow())
    if failed:
        logger.warning("marked %s matching runs of stopped workers as failed", failed)
    consumer = huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=periodic,
        graceful_signal="TERM",  # systemd and `kill` stop gracefully; a second one at once
        scheduler_interval=1,
        max_delay=1.0,  # an idle worker looks at the queue at least every second
    )
    consumer.run()


# --- the web app's side ----------------------------------------------------------------------


@asynccontextmanager
async def queue_lifespan(app: Litestar) -> AsyncIterator[None]:
    """For ``Litestar(lifespan=[...])``: point the queue at the app's settings and engine, and
    queue ``send_mail`` whenever a transaction that wrote an e-mail commits."""
    engine = app.state.engine
    configure(app.state.settings, engine)
    mail.on_mail_committed(engine, _send_mail_soon)
    try:
        yield
    finally:
        mail.on_mail_committed(engine, None)


def _send_mail_soon() -> None:
    try:
        tasks.send_mail()
    except Exception:
        # The queue is down: the mail stays in the outbox for the next try.
        logger.exception("could not queue send_mail")


# --- `tandem serve` in development: one worker beside the server --------------------------------


@contextmanager
def embedded_worker(settings: Settings) -> Iterator[None]:
    """A ``tandem worker`` process for as long as the block runs (``make run``: one command)."""
    if settings.is_production or not settings.embedded_worker or is_immediate():
        yield
        return
    if queue_location(settings) == IMMEDIATE:
        yield
        return
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], env=os.environ.copy())  # noqa: S603
    print(f"Tandem worker runs as process {process.pid}")
    try:
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
