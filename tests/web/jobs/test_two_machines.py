"""Two web processes and two workers on PostgreSQL and Redis: each job runs exactly once.

Skipped without PostgreSQL (TANDEM_TEST_DATABASE_URL) or Redis; CI has both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.builders import csrf_token, db, login, make_coordinator, make_participant, make_region
from tests.conftest import POSTGRES_URL, TEST_SECRET
from tests.servers import healthy
from web.core import mail
from web.core.models import JobClaim, MatchingRun, OutboxMessage, Region, utcnow
from web.core.queue import IMMEDIATE, configure, huey
from web.core.settings import ROOT, Settings
from web.jobs import tasks

REDIS_DB = 3  # this feature's Redis database
QUEUE_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
TODAY = date(2026, 12, 3)
MESSAGES = 20

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TANDEM_TEST_DATABASE_URL")


def _redis_problem() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(QUEUE_URL).flushdb()
    except redis.RedisError as exc:
        return f"Redis does not answer: {exc}"
    return None


def wait_until(condition: Callable[[], object], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process(stack: ExitStack, command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )  # noqa: S603

    def stop() -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    stack.callback(stop)


@pytest.fixture
def site(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """Two web processes and two workers; this process queues jobs on the same Redis."""
    problem = _redis_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the queue on Redis: {problem}")
        pytest.skip(problem)
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env.update(
        TANDEM_ENV="development",
        TANDEM_DATABASE_URL=settings.database_url,
        TANDEM_SECRET_KEY=TEST_SECRET,
        TANDEM_QUEUE_URL=QUEUE_URL,
        TANDEM_MAIL_DIR=str(tmp_path / "mail"),
        PYTHONPATH=str(ROOT),
        PYTHONWARNINGS="ignore",
    )
    configure(settings.model_copy(update={"queue_url": QUEUE_URL}), engine)
    urls = []
    with ExitStack() as stack:
        for n in (1, 2):
            port = _free_port()
            urls.append(f"http://127.0.0.1:{port}")
            _process(
                stack,
                [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app",
                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                env,
                tmp_path / f"web-{n}.log",
            )  # fmt: skip
            _process(
                stack,
                [sys.executable, "-m", "web.cli", "worker"],
                env,
                tmp_path / f"worker-{n}.log",
            )
        for url in urls:
            wait_until(lambda url=url: healthy(url))
        yield urls, tmp_path
    configure(settings.model_copy(update={"queue_url": IMMEDIATE}), engine)


def _worker_log(tmp_path: Path) -> str:
    return "".join((tmp_path / f"worker-{n}.log").read_text(errors="replace") for n in (1, 2))


def test_two_web_processes_and_two_workers_run_each_job_once(site, engine):
    (first, second), tmp_path = site
    with db(engine) as session:
        regions = []
        for slug, lat in (("kassel", 51.3), ("goettingen", 51.53)):
            region = make_region(session, slug, lat=lat)
            for _ in range(3):
                make_participant(session, region, role="local")
                make_participant(session, region, waiting_since=TODAY)
            regions.append(region)
        make_coordinator(session, "ada@example.org", role="admin")
        for n in range(MESSAGES):
            mail.enqueue(
                session,
                to_address=f"person{n}@example.org",
                locale="de",
                template="test_message",
                context={"name": "N", "note": "", "link": "https://example.org/x"},
                now=utcnow(),
            )

    # A run from each web process, for one region each.
    for url, slug in ((first, "kassel"), (second, "goettingen")):
        with httpx.Client(base_url=url, timeout=30.0) as browser:
            assert login(browser, "ada@example.org").status_code == 303
            token = csrf_token(browser, "/coordinator/regions")
            response = browser.post(
                f"/coordinator/regions/{slug}/match", data={"_csrf_token": token}
            )
            assert response.status_code == 303, response.text

    # Sending queued three times over; every periodic job queued by both workers' schedulers.
    for _ in range(3):
        tasks.send_mail()
    for periodic in (tasks.follow_up, tasks.check_ins, tasks.purge):
        periodic()
        periodic()

    def runs() -> list[MatchingRun]:
        with db(engine) as session:
            return list(session.scalars(select(MatchingRun).order_by(MatchingRun.id)))

    wait_until(lambda: [run.status for run in runs()] == ["done", "done"])
    wait_until(lambda: huey.pending_count() == 0)
    mail_dir = tmp_path / "mail"
    wait_until(lambda: len(list(mail_dir.glob("*.eml"))) >= MESSAGES)
    time.sleep(2)  # a duplicate would come now

    assert len(list(mail_dir.glob("*.eml"))) == MESSAGES  # every e-mail once
    with db(engine) as session:
        assert session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0  # type: ignore[union-attr]
        claims = session.execute(select(JobClaim.job, func.count()).group_by(JobClaim.job)).all()
        slugs = dict(session.execute(select(Region.id, Region.slug)).all())
    assert dict(claims) == {"follow_up": 1, "check_ins": 1, "purge": 1}
    log = _worker_log(tmp_path)
    for run in runs():
        assert log.count(f"matching run {run.id} started") == 1, slugs[run.region_id]
        assert run.stats["stats"]["pairs"] == 3
    assert log.count("follow-up: reminded") == 1
    assert log.count("check-ins sent") == 1
