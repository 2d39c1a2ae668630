"""Load on the web app: Tandem under Uvicorn (1 and 2 workers, SQLite and PostgreSQL)
against a bare Litestar app rendering comparable Jinja pages, all in one run.

    .venv/bin/python benchmarks/web_load.py            # 8 s per measurement, ≤ 10 min
    .venv/bin/python benchmarks/web_load.py --quick    # 3 s per measurement

Loopback only. The load generator is a small asyncio HTTP/1.1 keep-alive
client (64 connections by default), cheaper than httpx, so that it takes as
little CPU from the servers as possible; it runs on the same machine, so
the figures are lower bounds. PostgreSQL runs in a database of its own
(`tandem_bench`, created and dropped here), never in `test`.

    .venv/bin/python benchmarks/web_load.py --during-matching 5000   # issue 18's case only

``--during-matching N`` adds N locals and 2N newcomers to one region and measures the
coordinator dashboard's p99 idle and while that region's matching run is in progress,
twice: with the run inside the web process (TANDEM_QUEUE_URL=immediate, as before issue
18) and with the run in a `tandem worker` process. Target: p99 during the run within 2×
of idle when the run is in a worker.

Targets (issue 7): public pages ≥ 60 % of the bare app's requests/s for the same
page (its twin in bare_app.py) at the same worker count; sign-ups ≥ 300/s on
PostgreSQL with 2 workers, no errors and no lost rows; p99 ≤ 100 ms for public
pages at 64 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from web.core.db import create_db_engine  # noqa: E402

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"
PG_BENCH_DB = "tandem_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
SECRET = "bench-secret-key-with-more-than-32-characters"  # noqa: S105 (a local bench)
DEMO_LOGIN = ("kassel@tandem.example", "tandem-demo")  # web/ops/demo.py
REGION = "kassel"
SESSIONS = 8  # coordinator sessions spread over the connections (one login each)
REQUEST_TIMEOUT = 10.0
START_TIMEOUT = 120.0
SESSION_COOKIE, CSRF_COOKIE = "tandem_session", "tandem_csrf"  # development cookie names
TARGET_SHARE, TARGET_SIGNUPS, TARGET_P99_MS = 0.60, 300.0, 100.0
BUDGET_SECONDS = 540.0  # the whole run stays under 10 minutes; later measurements are skipped
DEADLINE = [float("inf")]


# --- a minimal HTTP/1.1 keep-alive client -------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection" and value == b"close":
            close = True
    if not chunked:
        await reader.readexactly(length)
        return status, close
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return status, close


def http_request(
    method: str, port: int, path: str, *, cookie: str = "", body: bytes = b""
) -> bytes:
    headers = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Language: de"]
    if cookie:
        headers.append(f"Cookie: {cookie}")
    if method == "POST":
        headers += [
            f"Origin: http://127.0.0.1:{port}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
        ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


@dataclass
class Measurement:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0  # wrong status, timeouts, broken connections (warm-up included)
    succeeded: list[str] = field(default_factory=list)  # tags of accepted requests
    problems: Counter[str] = field(default_factory=Counter)  # what the errors were

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# A request factory: connection number -> (request bytes, tag); tag names what to check later.
RequestFactory = Callable[[int], tuple[bytes, str]]


async def drive(
    port: int,
    make_request: RequestFactory,
    *,
    expect: int,
    seconds: float,
    warmup: float,
    connections: int,
) -> Measurement:
    result = Measurement()
    start = time.perf_counter()
    measure_from, stop = start + warmup, start + warmup + seconds
    last_done = measure_from

    async def connection(number: int) -> None:
        nonlocal last_done
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            while (began := time.perf_counter()) < stop:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT
                    )
                request, tag = make_request(number)
                try:
                    writer.write(request)
                    status, close = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)  # type: ignore[arg-type]
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                    result.errors += 1
                    result.problems[type(exc).__name__] += 1
                    writer.close()
                    reader = writer = None
                    continue
                done = time.perf_counter()
                if status == expect:
                    if tag:
                        result.succeeded.append(tag)
                else:
                    result.errors += 1
                    result.problems[f"HTTP {status}"] += 1
                if began >= measure_from:
                    result.requests += 1
                    result.latencies.append(done - began)
                    last_done = max(last_done, done)
                if close:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(connection(n) for n in range(connections))),
        warmup + seconds + 3 * REQUEST_TIMEOUT,
    )
    result.seconds = last_done - measure_from
    return result


# --- servers and databases -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(app: list[str], workers: int, env: dict[str, str], log: Path) -> Iterator[int]:
    """Run Uvicorn in its own process group on a free loopback port until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", *app, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-access-log",
               "--log-level", "warning"]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {' '.join(app)}\n{log.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        if workers > 1:
            time.sleep(2.0)  # let the other workers finish importing, too
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)


def tandem_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env.update(
        TANDEM_ENV="development",  # the demo accounts are refused in production
        TANDEM_DATABASE_URL=database_url,
        TANDEM_SECRET_KEY=SECRET,
        TANDEM_MAIL_DIR=str(workdir / "mail"),
        TANDEM_SIGNUP_LIMIT_PER_HOUR=str(10**9),  # the limiter still runs, but never refuses
        PYTHONWARNINGS="ignore",
    )
    return env


def tandem_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", "from web.cli import main; raise SystemExit(main())", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def prepare_database(env: dict[str, str]) -> str:
    """Migrate, load the demo, run matching; return what happened to matching."""
    for args in (["migrate"], ["demo", "--seed", "2026"]):
        done = tandem_cli(env, *args)
        if done.returncode:
            raise RuntimeError(f"tandem {' '.join(args)} failed:\n{done.stderr}")
    match = tandem_cli(env, "match", "--region", REGION)
    if match.returncode:
        return f"tandem match not available ({match.stderr.strip().splitlines()[-1:]})"
    return match.stdout.strip()


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    try:
        yield PG_URL
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_DSN).close()
    except Exception:  # noqa: BLE001 (any failure means: skip PostgreSQL)
        return False
    return True


# --- what a browser would do first -----------------------------------------------------

CSRF_FIELD = re.compile(
    r'name="_csrf_token"\s+value="([^"]+)"|value="([^"]+)"\s+name="_csrf_token"'
)


def csrf_pair(base: str, path: str) -> tuple[str, str]:
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as browser:
        page = browser.get(path)
        page.raise_for_status()
        found = CSRF_FIELD.search(page.text)
        if not found:
            raise RuntimeError(f"no CSRF field on {path}")
        return str(browser.cookies[CSRF_COOKIE]), found.group(1) or found.group(2)


def log_in(base: str) -> str:
    cookie, token = csrf_pair(base, "/login")
    email, password = DEMO_LOGIN
    with httpx.Client(base_url=base, timeout=30, cookies={CSRF_COOKIE: cookie}) as browser:
        response = browser.post(
            "/login", data={"email": email, "password": password, "_csrf_token": token}
        )
        if response.status_code != 303:
            raise RuntimeError(f"login failed with {response.status_code}")
        return str(browser.cookies[SESSION_COOKIE])


def served_place(database_url: str) -> str:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return str(
                connection.execute(
                    text(
                        "SELECT name FROM place WHERE region_id IS NOT NULL "
                        "ORDER BY population DESC LIMIT 1"
                    )  # fmt: skip
                ).scalar_one()
            )
    finally:
        engine.dispose()


def stored_emails(database_url: str, prefix: str) -> set[str]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT email FROM participant WHERE email LIKE :p"), {"p": f"{prefix}%"}
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def signup_form(place: str) -> dict[str, object]:
    return {
        "first_name": "Nour", "birth_year": "1995", "gender": "female", "place": place,
        "language_1": "ar", "level_1": "native", "language_2": "de", "level_2": "A2",
        "learning": ["de"], "interests": ["cooking", "football"],
        "help_topics": ["language_practice", "paperwork"], "slots": ["tue_evening"],
        "partner_wish": "female", "consent_matching": "1", "consent_contact": "1",
    }  # fmt: skip


# --- the run ---------------------------------------------------------------------------


@dataclass
class Row:
    target: str
    workers: int
    page: str
    measurement: Measurement | None
    note: str = ""


def settle(port: int, path: str, cookie: str = "") -> None:
    """Wait (≤ 60 s) until the server has worked off what timed-out clients left queued."""
    headers = {"Cookie": cookie} if cookie else {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=2)
            return
        except httpx.TransportError:
            continue


def measure(
    port: int, factory: RequestFactory, expect: int, args: argparse.Namespace
) -> Measurement | None:
    """One bounded measurement, or None when the run's time budget is spent."""
    if time.monotonic() + args.warmup + args.seconds > DEADLINE[0]:
        return None
    options = {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections}
    result = asyncio.run(drive(port, factory, expect=expect, **options))
    settle(port, "/healthz")
    return result


def get_factory(port: int, path: str, cookies: list[str] | None = None) -> RequestFactory:
    if not cookies:
        fixed = http_request("GET", port, path)
        return lambda _number: (fixed, "")
    requests = [http_request("GET", port, path, cookie=cookie) for cookie in cookies]
    return lambda number: (requests[number % len(requests)], "")


def run_tandem(
    label: str, database_url: str, workers: int, workdir: Path, args: argparse.Namespace,
    logins: list[str], notes: dict[str, str],
) -> list[Row]:  # fmt: skip
    env = tandem_env(database_url, workdir)
    rows: list[Row] = []
    app = ["web.app:create_app"]
    with server(app, workers, env, workdir / f"tandem-{label}-{workers}.log") as port:
        base = f"http://127.0.0.1:{port}"
        for path, page in (("/", "landing"), ("/signup/newcomer", "sign-up form")):
            result = measure(port, get_factory(port, path), 200, args)
            rows.append(Row(label, workers, page, result))
            settle(port, path)

        csrf_cookie, token = csrf_pair(base, "/signup/newcomer")
        prefix = f"bench-{uuid.uuid4().hex[:8]}-"
        fields = signup_form(notes["place"])
        counters = [0] * args.connections

        def signup(number: int) -> tuple[bytes, str]:
            counters[number] += 1
            email = f"{prefix}{number}-{counters[number]}@example.org"
            body = urlencode({**fields, "email": email, "_csrf_token": token}, doseq=True)
            cookie = f"{CSRF_COOKIE}={csrf_cookie}"
            path = "/signup/newcomer"
            return http_request("POST", port, path, cookie=cookie, body=body.encode()), email

        result = measure(port, signup, 303, args)
        settle(port, "/signup/newcomer")
        lost = len(set(result.succeeded) - stored_emails(database_url, prefix)) if result else 0
        rows.append(Row(label, workers, "sign-up POST", result, f"lost: {lost}" if result else ""))

        if not logins:
            logins.extend(log_in(base) for _ in range(SESSIONS))
        cookies = [f"{SESSION_COOKIE}={cookie}" for cookie in logins]
        result = measure(port, get_factory(port, "/coordinator/", cookies), 200, args)
        rows.append(Row(label, workers, "dashboard", result))
        settle(port, "/coordinator/", cookies[0])

        suggestions = f"/coordinator/regions/{REGION}/suggestions"
        try:
            probe = httpx.get(base + suggestions, headers={"Cookie": cookies[0]}, timeout=60)
            available = probe.status_code == 200
        except httpx.TransportError:
            available = False
        if available:
            result = measure(port, get_factory(port, suggestions, cookies), 200, args)
            note = notes.get("match", "") if result else ""
            rows.append(Row(label, workers, "suggestions", result, note))
        else:
            rows.append(Row(label, workers, "suggestions", None, "not available"))
    for row in rows:
        rate = f"{row.measurement.rate:.0f}/s" if row.measurement else "skipped"
        print(f"  {label} ×{workers} {row.page}: {rate} {row.note}", flush=True)
    return rows


# Each public page and its twin on the bare app (benchmarks/bare_app.py).
BARE_TWINS = {"landing": "/", "sign-up form": "/signup/newcomer"}


def run_bare(workers: int, workdir: Path, args: argparse.Namespace) -> list[Row]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    app = ["--app-dir", str(ROOT / "benchmarks"), "bare_app:create_app"]
    rows = []
    with server(app, workers, env, workdir / f"bare-{workers}.log") as port:
        for page, path in BARE_TWINS.items():
            result = measure(port, get_factory(port, path), 200, args)
            rows.append(Row("bare Litestar", workers, page, result))
            rate = f"{result.rate:.0f}/s" if result else "skipped"
            print(f"  bare ×{workers} {page}: {rate}", flush=True)
    return rows


def print_table(rows: list[Row], connections: int) -> None:
    print(f"\n{'server':<14} {'workers':>7}  {'page':<14} {'req/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6}  note")  # fmt: skip
    for row in rows:
        m = row.measurement
        if m is None:
            note = row.note or "skipped: time budget spent"
            print(f"{row.target:<14} {row.workers:>7}  {row.page:<14} {'—':>8} {'—':>8} {'—':>8} "
                  f"{'—':>6}  {note}")  # fmt: skip
            continue
        problems = ", ".join(f"{n}× {what}" for what, n in m.problems.most_common())
        note = "; ".join(part for part in (row.note, problems) if part)
        print(f"{row.target:<14} {row.workers:>7}  {row.page:<14} {m.rate:>8.0f} "
              f"{m.percentile_ms(0.50):>8.1f} {m.percentile_ms(0.99):>8.1f} {m.errors:>6}  "
              f"{note}")  # fmt: skip
    print(
        f"({connections} connections; requests/s over the measured window; errors include "
        "the warm-up)"
    )


def check_targets(rows: list[Row]) -> list[str]:
    bare = {
        (row.workers, row.page): row.measurement for row in rows if row.target == "bare Litestar"
    }
    verdicts = []
    for row in rows:
        m = row.measurement
        if m is None or row.target == "bare Litestar":
            continue
        if row.page in ("landing", "sign-up form"):
            baseline = bare.get((row.workers, row.page))
            if baseline and baseline.rate:
                share = m.rate / baseline.rate
                verdicts.append(
                    f"{'ok  ' if share >= TARGET_SHARE else 'MISS'} {row.target} ×{row.workers} "
                    f"{row.page}: {share:.0%} of its bare twin (target ≥ {TARGET_SHARE:.0%})"
                )
            p99 = m.percentile_ms(0.99)
            verdicts.append(
                f"{'ok  ' if p99 <= TARGET_P99_MS else 'MISS'} {row.target} ×{row.workers} "
                f"{row.page}: p99 {p99:.0f} ms (target ≤ {TARGET_P99_MS:.0f} ms)"
            )
        if row.page == "sign-up POST" and row.target == "PostgreSQL" and row.workers == 2:
            good = m.rate >= TARGET_SIGNUPS and m.errors == 0 and row.note == "lost: 0"
            verdicts.append(
                f"{'ok  ' if good else 'MISS'} PostgreSQL ×2 sign-ups: {m.rate:.0f}/s, "
                f"{m.errors} errors, {row.note} (target ≥ {TARGET_SIGNUPS:.0f}/s, 0, 0)"
            )
    return verdicts


# --- issue 18: the dashboard while a large matching run is in progress ---------------------


def add_people(database_url: str, locals_: int) -> None:
    """``locals_`` active locals and twice as many waiting newcomers in REGION, in bulk."""
    import random
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import insert, select

    from web.core.db import transaction
    from web.core.folding import search_text
    from web.core.models import Participant, ParticipantLanguage, Place, Region, new_public_id
    from web.core.vocabulary import INTERESTS, SLOTS

    rng = random.Random(18)
    now, today = datetime.now(UTC), date.today()  # noqa: DTZ011
    engine = create_db_engine(database_url)
    try:
        with transaction(engine) as session:
            places = session.scalars(
                select(Place.id)
                .join(Region, Place.region_id == Region.id)
                .where(Region.slug == REGION)
            ).all()
            rows = []
            for i in range(3 * locals_):
                role = "local" if i < locals_ else "newcomer"
                rows.append({
                    "public_id": new_public_id(), "role": role, "status": "active",
                    "first_name": f"Load{i}", "email": f"load{i}@bench.example",
                    "search_text": search_text(f"Load{i}", None, f"load{i}@bench.example"),
                    "locale": "de", "place_id": rng.choice(places),
                    "birth_year": rng.randint(1950, 2005),
                    "capacity": 2 if role == "local" else 1, "open_tandems": 0,
                    "online_ok": False, "partner_genders": [],
                    "learning": ["de"] if role == "newcomer" else [],
                    "interests": rng.sample(sorted(INTERESTS), 3), "help_topics": [],
                    "slots": rng.sample(SLOTS, 4),
                    "waiting_since": today - timedelta(days=rng.randint(0, 300)),
                    "verified_at": now, "created_at": now, "updated_at": now,
                })  # fmt: skip
            session.execute(insert(Participant), rows)
            ids = session.scalars(
                select(Participant.id).where(Participant.email.like("%@bench.example"))  # type: ignore[attr-defined]
            ).all()
            session.execute(
                insert(ParticipantLanguage),
                [{"participant_id": pid, "language": "de", "level": "B1"} for pid in ids],
            )
    finally:
        engine.dispose()


def run_stage(database_url: str) -> tuple[str, str]:
    """(status, stage) of the newest run of REGION."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT m.status, m.stats FROM matching_run m JOIN region r "
                    "ON r.id = m.region_id WHERE r.slug = :slug ORDER BY m.id DESC LIMIT 1"
                ),
                {"slug": REGION},
            ).first()
    finally:
        engine.dispose()
    if row is None:
        return "", ""
    stats = row[1] if isinstance(row[1], dict) else __import__("json").loads(row[1] or "{}")
    return str(row[0]), str(stats.get("stage", ""))


def during_matching(
    label: str, database_url: str, workdir: Path, args: argparse.Namespace, logins: list[str]
) -> list[Row]:
    env = tandem_env(database_url, workdir)
    queue = "immediate" if label == "in web" else str(workdir / f"queue-{uuid.uuid4().hex}.db")
    env.update(TANDEM_QUEUE_URL=queue, TANDEM_EMBEDDED_WORKER="false")
    rows: list[Row] = []
    worker = None
    with server(["web.app:create_app"], 1, env, workdir / f"during-{label}.log") as port:
        base = f"http://127.0.0.1:{port}"
        if label != "in web":
            with (workdir / "worker.log").open("ab") as output:
                worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                    [sys.executable, "-m", "web.cli", "worker", "--threads", "1"],
                    cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
            log, began = workdir / "worker.log", time.monotonic()
            while "consumer started" not in log.read_text(errors="replace"):
                if time.monotonic() - began > START_TIMEOUT:
                    raise RuntimeError(f"the worker did not start:\n{log.read_text()}")
                time.sleep(0.3)
        if not logins:
            logins.extend(log_in(base) for _ in range(SESSIONS))
        cookies = [f"{SESSION_COOKIE}={cookie}" for cookie in logins]
        dashboard = get_factory(port, "/coordinator/", cookies)
        rows.append(Row(label, 1, "dashboard idle", measure(port, dashboard, 200, args)))

        import threading

        csrf_cookie, token = csrf_pair(base, "/login")

        def click() -> None:  # in a thread: with the run in the web process, it blocks
            with httpx.Client(base_url=base, timeout=600) as browser:
                browser.cookies.set(SESSION_COOKIE, logins[0])
                browser.cookies.set(CSRF_COOKIE, csrf_cookie)
                browser.post(f"/coordinator/regions/{REGION}/match", data={"_csrf_token": token})

        clicker = threading.Thread(target=click)
        clicker.start()
        began = time.monotonic()
        while run_stage(database_url)[1] != "solving" and time.monotonic() - began < 300:
            time.sleep(0.2)
        result = measure(port, dashboard, 200, args)
        status, stage = run_stage(database_url)
        note = f"run {status}/{stage} at the end of the window"
        rows.append(Row(label, 1, "dashboard, run", result, note))
        clicker.join()
        while run_stage(database_url)[0] == "running" and time.monotonic() - began < 600:
            time.sleep(0.5)
        print(f"  {label}: run took {time.monotonic() - began:.0f} s", flush=True)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
    return rows


def main_during_matching(args: argparse.Namespace) -> int:
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    args.warmup = max(args.warmup, 2.0)  # the first dashboards after a start are cold
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        workdir = Path(tmp)
        use_pg = not args.no_postgres and postgres_reachable()
        opener = (
            postgres_database if use_pg else (lambda: _nullcontext(f"sqlite:///{workdir / 't.db'}"))
        )
        with opener() as database_url:  # type: ignore[operator]
            env = tandem_env(database_url, workdir)
            prepare_database(env)
            add_people(database_url, args.during_matching)
            print(
                f"{'PostgreSQL' if use_pg else 'SQLite'}: {args.during_matching} locals and "
                f"{2 * args.during_matching} newcomers added to {REGION}",
                flush=True,
            )
            logins: list[str] = []
            for label in ("in web", "in worker"):
                rows += during_matching(label, database_url, workdir, args, logins)
    print_table(rows, args.connections)
    verdict = 0
    for label in ("in web", "in worker"):
        idle, busy = (r.measurement for r in rows if r.target == label)
        if idle and busy:
            ratio = busy.percentile_ms(0.99) / max(idle.percentile_ms(0.99), 0.001)
            target = "target ≤ 2×" if label == "in worker" else "before"
            print(f"{label}: dashboard p99 during the run / idle = {ratio:.2f}× ({target})")
            if label == "in worker" and ratio > 2:
                verdict = 1
    return verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement")
    parser.add_argument("--seconds", type=float, help="measured seconds per page (default 8)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--during-matching", type=int, metavar="N",
        help="only issue 18's case: the dashboard while matching N locals, 2N newcomers",
    )  # fmt: skip
    args = parser.parse_args()
    args.seconds = args.seconds or (3.0 if args.quick else 8.0)
    args.warmup = 0.5 if args.quick else 1.0
    if args.during_matching:
        return main_during_matching(args)

    began = time.monotonic()
    DEADLINE[0] = began + BUDGET_SECONDS
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        workdir = Path(tmp)
        for workers in args.workers:
            rows += run_bare(workers, workdir, args)

        databases: list[tuple[str, Callable[[], object]]] = []
        sqlite_url = f"sqlite:///{workdir / 'tandem.db'}"
        databases.append(("SQLite", lambda: _nullcontext(sqlite_url)))
        if args.no_postgres:
            pass
        elif postgres_reachable():
            databases.append(("PostgreSQL", postgres_database))
        else:
            print("PostgreSQL at 127.0.0.1:5432 is not reachable: SQLite only")

        for label, open_database in databases:
            with open_database() as database_url:  # type: ignore[attr-defined]
                env = tandem_env(database_url, workdir)
                notes = {"match": prepare_database(env), "place": served_place(database_url)}
                print(f"{label}: demo loaded; matching: {notes['match']}", flush=True)
                logins: list[str] = []  # sessions live in the database: log in once per database
                for workers in args.workers:
                    rows += run_tandem(label, database_url, workers, workdir, args, logins, notes)

    print_table(rows, args.connections)
    print()
    verdicts = check_targets(rows)
    for verdict in verdicts:
        print(verdict)
    print(f"\nwhole run: {time.monotonic() - began:.0f} s; "
          f"load average after: {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 1 if any(verdict.startswith("MISS") for verdict in verdicts) else 0


@contextmanager
def _nullcontext(value: str) -> Iterator[str]:
    yield value


if __name__ == "__main__":
    raise SystemExit(main())
