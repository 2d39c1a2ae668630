"""The real consumer (``tandem worker`` in a subprocess) on the embedded SQLite queue: every
kind of job end to end, and a worker killed during a matching run.

Few and quick on purpose: one worker start costs a couple of seconds of imports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.builders import db, make_participant, make_region
from web.cli import main
from web.core import mail
from web.core.models import FailedJob, JobClaim, MatchingRun, OutboxMessage, Region, utcnow
from web.core.queue import IMMEDIATE, configure, huey, queue_again
from web.core.settings import ROOT, Settings
from web.jobs import tasks
from web.runs.jobs import matching_run, start_and_queue
from web.runs.runs import HEARTBEAT_LOST, is_stale, start_run

TODAY = date(2026, 12, 3)
# A worker whose engine sleeps before solving: time enough to kill it mid-run.
SLOW_WORKER = (
    "import time, matching\n"
    "solve = matching.solve\n"
    "matching.solve = lambda instance: (time.sleep(60), solve(instance))[1]\n"
    "from web.cli import main\n"
    "main(['worker', '--threads', '1'])\n"
)


# Generous: a worker's start (its imports) takes seconds, and many more on a busy machine.
def wait_until(condition: Callable[[], object], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def queue_settings(settings: Settings, tmp_path: Path, engine: Engine) -> Iterator[Settings]:
    """The test's settings with a real SQLite queue, which this process writes to."""
    queued = settings.model_copy(
        update={"queue_url": str(tmp_path / "queue.db"), "backup_dir": str(tmp_path / "backups")}
    )
    configure(queued, engine)
    yield queued
    configure(settings.model_copy(update={"queue_url": IMMEDIATE}), engine)


@contextmanager
def worker(
    settings: Settings, log: Path, *, code: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": settings.database_url,
        "TANDEM_QUEUE_URL": settings.queue_url,
        "TANDEM_MAIL_DIR": settings.mail_dir,
        "TANDEM_BACKUP_DIR": settings.backup_dir,
        "TANDEM_SECRET_KEY": settings.secret_key,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "web.cli", "worker"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )  # noqa: S603
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def a_region(engine: Engine, slug: str = "kassel") -> int:
    with db(engine) as session:
        region = make_region(session, slug)
        for _ in range(3):
            make_participant(session, region, role="local")
        for _ in range(3):
            make_participant(session, region, waiting_since=TODAY)
        return region.id  # type: ignore[return-value]


def run_of(engine: Engine, run_id: int) -> MatchingRun:
    with db(engine) as session:
        run = session.get(MatchingRun, run_id)
        assert run is not None
        return run


def queue_run(engine: Engine, region_id: int, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        region = session.get(Region, region_id)
        assert region is not None
        return start_and_queue(session, region, None, today=TODAY, **kwargs)


def runs_in(engine: Engine, region_id: int) -> list[MatchingRun]:
    with db(engine) as session:
        return list(session.scalars(select(MatchingRun).where(MatchingRun.region_id == region_id)))


def claimed(engine: Engine, job: str) -> bool:
    with db(engine) as session:
        return session.scalars(select(JobClaim).where(JobClaim.job == job)).first() is not None


@pytest.mark.sends_mail
def test_a_worker_runs_every_kind_of_job(queue_settings, engine, tmp_path, capsys, monkeypatch):
    region_id = a_region(engine)
    other_id = a_region(engine, "goettingen")
    with db(engine) as session:
        mail.enqueue(
            session,
            to_address="salma@example.org",
            locale="de",
            template="test_message",
            context={"name": "Salma", "note": "", "link": "https://example.org/x"},
            now=utcnow(),
        )
    run_id = queue_run(engine, region_id)
    monkeypatch.setenv("TANDEM_DATABASE_URL", queue_settings.database_url)
    monkeypatch.setenv("TANDEM_QUEUE_URL", queue_settings.queue_url)
    assert main(["match", "--all", "--today", TODAY.isoformat()]) == 0  # the whole country
    assert "queued" in capsys.readouterr().out
    tasks.send_mail()
    periodics = (tasks.follow_up, tasks.check_ins, tasks.event_reminders, tasks.whats_on,
                 tasks.purge, tasks.nightly_backup)  # fmt: skip
    for periodic in periodics:
        periodic()
    # A job that fails for good lands on the admins' page (a run that does not exist).
    queue_again("web.runs.jobs.matching_run", [run_id, "not a date"])
    assert huey.pending_count() == 10

    with worker(queue_settings, tmp_path / "worker.log"):
        wait_until(lambda: run_of(engine, run_id).status == "done")
        wait_until(lambda: [run.status for run in runs_in(engine, other_id)] == ["done"])
        wait_until(lambda: list(Path(queue_settings.mail_dir).glob("*.eml")))
        jobs = ("follow_up", "check_ins", "event_reminders", "whats_on", "purge", "nightly_backup")
        for job in jobs:
            wait_until(lambda job=job: claimed(engine, job))
        wait_until(lambda: list(Path(queue_settings.backup_dir).glob("tandem-*.backup")))

        def failed() -> list[FailedJob]:
            with db(engine) as session:
                return list(session.scalars(select(FailedJob)))

        wait_until(failed)
        # A finished run queues its what-if (web.runs.jobs): the worker takes that too.
        wait_until(lambda: huey.pending_count() == 0)
    run = run_of(engine, run_id)
    assert run.stats["stats"]["pairs"] == 3 and run.heartbeat_at is not None
    with db(engine) as session:
        assert session.scalars(select(OutboxMessage.sent_at)).one() is not None
    [job] = failed()
    assert job.task == "web.runs.jobs.matching_run" and job.arguments == [run_id, "not a date"]
    assert job.error.startswith("ValueError")
    assert huey.pending_count() == 0


def test_a_worker_killed_during_a_run_leaves_it_failed_and_a_new_run_succeeds(
    queue_settings, engine, tmp_path
):
    region_id = a_region(engine)
    first = queue_run(engine, region_id)
    with worker(queue_settings, tmp_path / "slow.log", code=SLOW_WORKER) as slow:
        wait_until(lambda: run_of(engine, first).stats.get("stage") == "solving")
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
    dead = run_of(engine, first)
    assert dead.status == "running" and dead.heartbeat_at is not None  # nobody said so yet
    later = utcnow() + HEARTBEAT_LOST + timedelta(seconds=5)  # its heartbeat has stopped
    assert is_stale(dead, now=later)
    with db(engine) as session:
        region = session.get(Region, region_id)
        second = start_run(session, region, None, now=later).id  # marks the dead one failed
    assert (run_of(engine, first).status, run_of(engine, first).error) == ("failed", "worker_lost")
    with db(engine) as session:
        session.execute(  # the new run starts now, not in the future
            MatchingRun.__table__.update()
            .where(MatchingRun.id == second)
            .values(started_at=utcnow())
        )
    matching_run(second, TODAY.isoformat())
    with worker(queue_settings, tmp_path / "worker.log"):
        wait_until(lambda: run_of(engine, second).status == "done")
    assert run_of(engine, second).stats["stats"]["pairs"] == 3
    assert run_of(engine, first).status == "failed"  # the dead run stays failed
