"""No link token reaches a log line (issue 12 §2).

A real Uvicorn process with its access log on serves the app; every kind of link that
carries a token (address confirmation, profile, proposal answer, check-in, invitation) is
opened and submitted; then the whole captured log (stdout and stderr) is searched for the
raw tokens. Both ways of starting the app are checked: ``tandem serve`` (which hands
Uvicorn its logging configuration) and a bare ``uvicorn --factory web.app:create_app``
(where the app installs the filter itself at start-up).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.builders import html
from tests.conftest import TEST_SECRET
from tests.servers import HTTP_TIMEOUT, START_TIMEOUT, answers_in_time, free_port, stop
from tests.worlds import every_route
from web.core import log_redaction
from web.core.settings import ROOT

KINDS = {
    "verify": "/verify/{}",
    "profile": "/me/open/{}",
    "answer": "/answer/{}",
    "check-in": "/check-in/{}",
    "invitation": "/invite/{}",
}


def _command(how: str, port: int) -> list[str]:
    if how == "tandem serve":
        return [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1",
                "--port", str(port)]  # fmt: skip
    return [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app",
            "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip


@contextmanager
def serve(how: str, database_url: str, home: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TANDEM_ENV": "development",
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY": TEST_SECRET,
        "TANDEM_MAIL_DIR": str(home / "mail"),
        "TANDEM_BASE_URL": url,
        "TANDEM_SIGNUP_LIMIT_PER_HOUR": "1000",
    }
    env.pop("TANDEM_SMTP_HOST", None)
    log = home / f"{how.replace(' ', '-')}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            _command(how, port), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        if not answers_in_time(url, lambda: process.poll() is None, deadline):
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        yield url, log
    finally:
        stop(process)


def _use(client: httpx.Client, path: str) -> list[int]:
    """Open a link and submit its form (with the CSRF token the page carries)."""
    page = client.get(path)
    statuses = [page.status_code]
    field = html(page).find("input", attrs={"name": "_csrf_token"})
    if field is not None:
        data = {"_csrf_token": str(field["value"]), "choice": "accepted", "name": "Neu",
                "password": "a long new password", "password_again": "a long new password",
                "meetings": "weekly", "mood": "4"}  # fmt: skip
        statuses.append(client.post(path, data=data).status_code)
    return statuses


@pytest.mark.parametrize("how", ["tandem serve", "uvicorn --factory"])
def test_no_link_token_appears_in_the_server_log(settings, engine, database_url, tmp_path, how):
    world = every_route(engine, settings)
    links = {
        "verify": world.path_values[("/verify/{token}", "token")],
        "profile": [world.profile_token],
        "answer": world.path_values[("/answer/{token}", "token")],
        "check-in": world.path_values[("/check-in/{token}", "token")],
        "invitation": world.path_values[("/invite/{token}", "token")],
    }
    tokens = [token for found in links.values() for token in found]
    assert len(tokens) >= len(KINDS) and all(len(token) >= 40 for token in tokens)
    with (
        serve(how, database_url, tmp_path) as (url, log),
        httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as client,
    ):
        for kind, found in links.items():
            for token in found:
                statuses = _use(client, KINDS[kind].format(token))
                assert all(status < 500 for status in statuses), (kind, statuses)
            # a used link again, with a query string
            client.get(KINDS[kind].format(found[0]) + "?lang=ar")
    written = log.read_text()
    # The requests were logged, with the token cut out.
    for kind, path in KINDS.items():
        assert path.format(log_redaction.REDACTED) in written, (kind, written[-3000:])
    leaked = [token for token in tokens if token in written]
    assert leaked == [], f"{len(leaked)} of {len(tokens)} link tokens in the log"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /me/open/abc_DEF-123 HTTP/1.1" 200', '"GET /me/open/[redacted] HTTP/1.1" 200'),
        ("POST /verify/x?lang=ar", "POST /verify/[redacted]?lang=ar"),
        ("/answer/t0k3n/", "/answer/[redacted]/"),
        ("/invite/%41bc", "/invite/[redacted]"),
        ("GET /check-in/thanks HTTP/1.1", "GET /check-in/thanks HTTP/1.1"),
        ("GET /check-in/thanksgiving", "GET /check-in/[redacted]"),
        ("GET /me/new-link", "GET /me/new-link"),
        ("GET /coordinator/invitations", "GET /coordinator/invitations"),
    ],
)
def test_redact_cuts_the_token_segment_only(line, expected):
    assert log_redaction.redact(line) == expected


def test_the_filter_keeps_uvicorns_access_arguments_and_cleans_tracebacks():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/me/open/SECRET", "1.1", 200), None,
    )  # fmt: skip
    try:
        raise ValueError("while opening /invite/SECRET")
    except ValueError:
        failed = logging.LogRecord(
            "litestar", logging.ERROR, __file__, 1, "failed at %s", ("/verify/SECRET",),
            sys.exc_info(),
        )  # fmt: skip
    assert log_redaction.RedactTokens().filter(record)
    assert log_redaction.RedactTokens().filter(failed)
    assert record.args[2] == "/me/open/[redacted]" and len(record.args) == 5  # type: ignore[index]
    formatted = logging.Formatter().format(failed)
    assert "SECRET" not in formatted and "/invite/[redacted]" in formatted
    assert re.search(r"failed at /verify/\[redacted\]", formatted)
