"""Browser tests: the real app under Uvicorn on a free loopback port, driven by Chromium.

Each test module gets its own server and a fresh, migrated SQLite database with
one region (Kassel, place ``kassel-town``). Playwright cannot download browsers
here, so the tests use the system's Chromium: its headless shell where installed
(Debian: ``apt-get install chromium-headless-shell``), else the full browser
(``apt-get install chromium``); elsewhere point ``TANDEM_CHROMIUM`` at a Chromium or
Chrome binary.

Without Chromium or the ``playwright`` package the tests skip with the reason,
unless ``CI=true`` or ``TANDEM_REQUIRE_BROWSER=1``: then they fail.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from sqlalchemy import Engine

from tests.builders import db, make_region
from tests.servers import START_TIMEOUT, answers_in_time, free_port
from web.core import i18n
from web.core.db import create_db_engine
from web.core.settings import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

PUBLIC_PAGES = ("/", "/signup", "/signup/local", "/signup/newcomer", "/privacy")
LOCALES = i18n.LOCALES  # every language the app offers, Dari (fa_AF) included
PLACE = "kassel-town"
# A cheap phone: the browser tests' small screen (the journeys start there).
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CLOSED_PORT = 9
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    # Without these Chromium keeps calling Google services, which the CI network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every request to another host goes to a closed port (the discard port), so a page can
    # reach nothing outside; loopback, where the test server listens, is never proxied.
    # (Intercepting each request in Playwright did the same at a cost on every request.)
    f"--proxy-server=http://127.0.0.1:{CLOSED_PORT}",
]


def browser_required() -> bool:
    return (
        os.environ.get("CI", "").lower() in ("true", "1")
        or os.environ.get("TANDEM_REQUIRE_BROWSER") == "1"
    )


def no_browser(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where a skipped browser test proves nothing."""
    if browser_required():
        pytest.fail(f"{reason} (CI=true or TANDEM_REQUIRE_BROWSER=1: browser tests must run)")
    pytest.skip(reason)


# The headless shell first: the same Blink and V8 as the full browser without its user
# interface, and what Playwright itself runs headless tests in. The full browser in headless
# mode spent three times its CPU on the same tests (151 against 49 CPU-seconds on two
# workers; the browser tests took 129 s instead of 72 s).
CHROMIUM_BINARIES = ("chromium-headless-shell", "chromium", "chromium-browser")


def chromium_path() -> str | None:
    configured = os.environ.get("TANDEM_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next(filter(None, map(shutil.which, CHROMIUM_BINARIES)), None)


# --- the server -------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    database_url: str
    mail_dir: Path

    def engine(self) -> Engine:
        return create_db_engine(self.database_url)


class ForkedServer:
    """A server forked by tests/e2e/prefork.py: not this process's child, so it is watched
    and stopped by its pid (the kernel reaps it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def running(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, timeout: float = 10.0) -> None:
        for stopping in (signal.SIGTERM, signal.SIGKILL):
            with suppress(ProcessLookupError):
                os.kill(self.pid, stopping)
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self.running():
                return


class ServerForker:
    """tests/e2e/prefork.py for this test worker: it imported the app once and forks each
    module's server, which then answers in a fraction of a new process's 1.5 CPU-seconds."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.prefork"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def start(self, env: dict[str, str], port: int, log: Path) -> ForkedServer:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"env": env, "port": port, "log": str(log)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"tests/e2e/prefork.py ended ({self.process.wait()})")
        return ForkedServer(int(answer))

    def close(self) -> None:
        with self.process:  # closes both pipes and waits for it to end
            assert self.process.stdin is not None
            self.process.stdin.close()  # the end of its requests: it ends


@pytest.fixture(scope="session")
def server_forker() -> Iterator[ServerForker]:
    forker = ServerForker()
    yield forker
    forker.close()


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, server_forker: ServerForker
) -> Iterator[LiveServer]:
    """The app as people meet it: Uvicorn on 127.0.0.1 in a process of its own, its own
    database (a copy of the worker's migrated template: migrating anew costs a second per
    module)."""
    home = tmp_path_factory.mktemp("live")
    shutil.copyfile(sqlite_template, home / "tandem.db")
    database_url = f"sqlite:///{home / 'tandem.db'}"
    engine = create_db_engine(database_url)
    try:
        with db(engine) as session:
            make_region(session, "kassel")
    finally:
        engine.dispose()

    port = free_port()  # the system picks it: parallel workers get different ones
    url = f"http://127.0.0.1:{port}"
    mail_dir = home / "mail"
    env = {
        **os.environ,
        "TANDEM_ENV": "development",
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_SECRET_KEY": "e2e-secret-key-with-more-than-32-characters",
        "TANDEM_MAIL_DIR": str(mail_dir),
        "TANDEM_BASE_URL": url,
        "TANDEM_DEFAULT_LOCALE": "de",
    }
    env.pop("TANDEM_SMTP_HOST", None)  # e-mails must land in mail_dir
    log = home / "server.log"
    server = server_forker.start(env, port, log)
    try:
        if not answers_in_time(url, server.running, time.monotonic() + START_TIMEOUT):
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        yield LiveServer(url=url, database_url=database_url, mail_dir=mail_dir)
    finally:
        server.stop()


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope: Playwright's sync API runs its own event loop, which must not
    # outlive the browser tests and overlap the rest of the suite.
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        no_browser(
            "Chromium is not installed (apt-get install chromium-headless-shell, "
            "or set TANDEM_CHROMIUM)"
        )
    launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def open_context(browser: Browser, live_server: LiveServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(20_000)  # a shared two-core machine running two workers
    return context


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[Any]:
    """Make browser contexts (closed after the test); none reaches another host
    (CHROMIUM_ARGS), and test_public_pages.py reports a page that tries."""
    made: list[BrowserContext] = []

    def factory(**options: Any) -> BrowserContext:
        context = open_context(browser, live_server, **options)
        made.append(context)
        return context

    yield factory
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Any) -> Page:
    return new_context().new_page()


@pytest.fixture(scope="module")
def tab(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """One tab for a module's checks of single pages, each test loading its page anew: a
    new context and tab per page costs three times as much (a new renderer process). The
    cache is off, so that every load fetches everything the page needs."""
    context = open_context(browser, live_server)
    opened = context.new_page()
    devtools = context.new_cdp_session(opened)
    devtools.send("Network.enable")
    devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
    yield opened
    context.close()


@contextmanager
def listening(page: Page, event: str, handler: Any) -> Iterator[None]:
    """``page.on(event, handler)`` for the ``with`` block only (a shared tab goes on)."""
    page.on(event, handler)
    try:
        yield
    finally:
        page.remove_listener(event, handler)


# --- helpers the tests share ------------------------------------------------------------


def wait_for_mail(mail_dir: Path, to: str, *, timeout: float = 10.0) -> email.message.EmailMessage:
    """The newest e-mail to ``to`` that the server's background sender wrote."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to in str(message["To"]):
                found.append(message)
        if found:
            return found[-1]  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"no e-mail to {to} in {mail_dir} after {timeout} s")
        time.sleep(0.2)


def link_in(message: email.message.EmailMessage, path_prefix: str) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the e-mail has no text part"
    match = re.search(rf"https?://\S+{re.escape(path_prefix)}\S+", body.get_content())
    assert match, f"no {path_prefix} link in the e-mail:\n{body.get_content()}"
    return match.group(0)


def mails_to(mail_dir: Path, to: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to in str(message["To"]):
            found.append(message)
    return found  # type: ignore[return-value]


def wait_for_subject(
    mail_dir: Path, to: str, subject: str, *, timeout: float = 15.0
) -> email.message.EmailMessage:
    """The e-mail to ``to`` with exactly ``subject`` (the background sender writes it)."""
    deadline = time.monotonic() + timeout
    while True:
        matching = [m for m in mails_to(mail_dir, to) if str(m["Subject"]) == subject]
        if matching:
            assert len(matching) == 1, f"{len(matching)} e-mails {subject!r} to {to}"
            return matching[0]
        if time.monotonic() > deadline:
            seen = [str(m["Subject"]) for m in mails_to(mail_dir, to)]
            raise AssertionError(f"no e-mail {subject!r} to {to} after {timeout} s: {seen}")
        time.sleep(0.2)
