"""Two real Uvicorn processes on one database behave like one site.

Sessions and rate-limit counters must not live in process memory
(SECURITY.md F4, §2.2): a coordinator logged in through one process is
logged in on the other, and the sign-up limit counts the requests of both.
Sessions are checked with the default database store and with Redis
(TANDEM_STORE_URL); the rate-limit counters are in the shared database
either way (web.core.limits), so both processes count against one sign-up limit.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.builders import (
    csrf_token,
    db,
    login,
    make_coordinator,
    make_participant,
    make_region,
    valid_form,
)
from tests.conftest import TEST_SECRET
from tests.servers import HTTP_TIMEOUT, START_TIMEOUT, answers_in_time, free_port, stop
from web.core.models import Participant
from web.core.settings import ROOT

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 15
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
SESSION_COOKIE = "tandem_session"  # the development name (production uses __Host-session)


def _redis_command(*commands: str) -> list[bytes]:
    """Send inline commands to Redis with a plain socket; one reply line each."""
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
        sock.sendall("".join(f"{command}\r\n" for command in commands).encode())
        replies: list[bytes] = []
        buffer = b""
        while len(replies) < len(commands):
            chunk = sock.recv(4096)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\r\n")
            replies.extend(lines)
        return replies


def _redis_ready() -> str | None:
    """Flush the test database of Redis; the reason it cannot be used, or None."""
    if importlib.util.find_spec("redis") is None:
        return "the `redis` package is not installed"
    try:
        replies = _redis_command(f"SELECT {REDIS_DB}", "FLUSHDB")
    except OSError as exc:
        return f"no Redis answers at {REDIS_HOST}:{REDIS_PORT} ({exc})"
    if replies != [b"+OK", b"+OK"]:
        return f"Redis refused SELECT/FLUSHDB: {replies!r}"
    return None


def _start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


@contextmanager
def uvicorn_processes(env: dict[str, str], logs: list[Path]) -> Iterator[list[str]]:
    """Start ``uvicorn --factory web.app:create_app`` once per log file, side by side."""
    started = [_start(env, log) for log in logs]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for index, log in enumerate(logs):
            for _retry in range(3):  # a free port can be taken between choosing and binding
                process, url = started[index]
                if answers_in_time(url, lambda p=process: p.poll() is None, deadline):
                    break
                stop(process)
                output = log.read_text(errors="replace")
                if "address already in use" not in output.lower():
                    pytest.fail(f"uvicorn did not start within {START_TIMEOUT} s:\n{output}")
                started[index] = _start(env, log)
                deadline = time.monotonic() + START_TIMEOUT
            else:
                pytest.fail(f"no free port after 3 attempts:\n{log.read_text(errors='replace')}")
        yield [url for _, url in started]
    finally:
        for process, _ in started:
            stop(process)


@pytest.fixture(params=["database", "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    if request.param == "database":
        return ""
    problem = _redis_ready()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the Redis store: {problem}")
        pytest.skip(problem)
    return REDIS_URL


@pytest.fixture
def two_processes(database_url: str, store_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two app processes sharing one migrated database, one secret and one store."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env.update(
        TANDEM_ENV="development",
        TANDEM_DATABASE_URL=database_url,
        TANDEM_SECRET_KEY=TEST_SECRET,
        TANDEM_STORE_URL=store_url,
        TANDEM_SIGNUP_LIMIT_PER_HOUR="3",
        TANDEM_MAIL_DIR=str(tmp_path / "mail"),
        PYTHONWARNINGS="ignore",  # server-side warnings go to the log, not into the test
    )
    logs = [tmp_path / f"uvicorn-{n}.log" for n in (1, 2)]
    with uvicorn_processes(env, logs) as urls:
        yield urls


def test_two_processes_share_sessions_and_the_sign_up_limit(two_processes, engine):
    """One test, so that the slow start of two servers is paid once per store."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        newcomer = make_participant(session, kassel).public_id
    a_session_started_on_one_process_works_on_the_other(*two_processes, newcomer)
    the_sign_up_limit_counts_the_requests_of_both_processes(*two_processes, engine)


def a_session_started_on_one_process_works_on_the_other(first, second, newcomer) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=first, timeout=HTTP_TIMEOUT) as browser:
        response = login(browser, "alice@example.org")
        assert response.status_code == 303, response.text
        cookie = browser.cookies.get(SESSION_COOKIE)
        assert cookie
        assert newcomer in browser.get("/coordinator/participants").text

    cookies = {SESSION_COOKIE: cookie}
    with httpx.Client(base_url=second, cookies=cookies, timeout=HTTP_TIMEOUT) as same_browser:
        dashboard = same_browser.get("/coordinator/participants", follow_redirects=False)
        assert dashboard.status_code == 200
        assert newcomer in dashboard.text
    with httpx.Client(base_url=second, timeout=HTTP_TIMEOUT) as stranger:
        refused = stranger.get("/coordinator/", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def the_sign_up_limit_counts_the_requests_of_both_processes(first, second, engine) -> None:  # type: ignore[no-untyped-def]
    statuses = []
    for n, url in enumerate([first, first, second, second]):
        with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as browser:
            token = csrf_token(browser, "/signup/newcomer")
            data = {**valid_form(email=f"nour{n}@example.org"), "_csrf_token": token}
            statuses.append(browser.post("/signup/newcomer", data=data).status_code)

    assert statuses == [303, 303, 303, 429]
    with db(engine) as session:
        signed_up = select(func.count()).where(Participant.email.like("nour%"))  # type: ignore[attr-defined]
        assert session.scalar(signed_up) == 3
