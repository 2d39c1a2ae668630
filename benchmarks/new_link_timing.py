"""Does "send me a new link" answer a known address faster or slower than an unknown one?

    python benchmarks/new_link_timing.py               # 100 pairs, temporary SQLite
    TANDEM_DATABASE_URL=postgresql+psycopg://… python benchmarks/new_link_timing.py
                                                       # a database it may wipe

Builds a region with 100 signed-up people in a temporary SQLite database (or in
the PostgreSQL database of ``TANDEM_DATABASE_URL``, which it empties first), starts
the app in-process and sends 100 pairs of ``POST /me/new-link``: one with the
address of a known person and one with an address nobody signed up with, in
alternating order, each pair from an address of its own (so that no rate limit
refuses them) and each address used once, as someone probing a list would.

The requests go straight to the ASGI app (no network): ``answered`` is the time
until the last byte of the answer was handed to the server, which is what a
client can measure; ``finished`` includes the work done after the answer (the
look-up and the e-mail, if any). Prints the median of each and the median of the
100 differences within a pair, with its middle half (the noise of the machine).
Target: the answers differ by less than 0.5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402

from web.app import create_app  # noqa: E402
from web.cli import alembic_config  # noqa: E402
from web.core.db import create_db_engine, transaction  # noqa: E402
from web.core.models import Participant, ParticipantLanguage, Place, Region, metadata  # noqa: E402
from web.core.settings import Settings  # noqa: E402

TARGET_MS = 0.5
PAUSE_SECONDS = 0.3
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def build(url: str, people: int) -> list[str]:
    """A migrated database with ``people`` active newcomers; their addresses."""
    command.upgrade(alembic_config(url), "head")
    engine = create_db_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        with transaction(engine) as session:
            region = Region(slug="kassel", name="Kassel", centre_lat=51.31, centre_lon=9.48)
            session.add(region)
            session.flush()
            place = Place(geonameid=800000, name="Kassel", lat=51.31, lon=9.48, region_id=region.id)
            session.add(place)
            session.flush()
            emails = [f"known{n}@example.org" for n in range(people)]
            for n, email in enumerate(emails):
                person = Participant(
                    role="newcomer",
                    status="active",
                    first_name=f"Person{n}",
                    email=email,
                    locale="ar",
                    place_id=place.id,
                    birth_year=1990,
                    slots=["tue_evening"],
                )
                person.languages = [ParticipantLanguage(language="ar", level="native")]
                session.add(person)
        return emails
    finally:
        engine.dispose()


def scope(method: str, path: str, client: str, cookies: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", cookies.encode())]
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": (client, 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: Any, request: dict[str, Any], body: bytes = b"") -> tuple[float, float, dict]:
    """Seconds until the answer was complete, seconds until the app returned, and the
    answer (status, headers, body)."""
    answer: dict[str, Any] = {"body": b""}
    answered = 0.0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal answered
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], message["headers"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if not message.get("more_body"):
                answered = time.perf_counter()

    started = time.perf_counter()
    await app(request, receive, send)
    return answered - started, time.perf_counter() - started, answer


async def measure(settings: Settings, known: list[str]) -> dict[str, dict[str, list[float]]]:
    app = create_app(settings)
    times: dict[str, dict[str, list[float]]] = {
        kind: {"answered": [], "finished": []} for kind in ("known", "unknown")
    }
    async with app.lifespan():
        for n, known_email in enumerate(known):
            client = f"10.0.{n // 250}.{n % 250 + 1}"
            _, _, page = await call(app, scope("GET", "/me/new-link", client, "", b""))
            cookie = SimpleCookie()
            for name, value in page["headers"]:
                if name.lower() == b"set-cookie":
                    cookie.load(value.decode())
            cookies = "; ".join(f"{key}={morsel.value}" for key, morsel in cookie.items())
            token = _TOKEN.search(page["body"].decode())
            assert token, "no CSRF field on /me/new-link"
            pair = [("known", known_email), ("unknown", f"nobody{n}@example.org")]
            for kind, email in pair if n % 2 else pair[::-1]:
                body = urlencode({"email": email, "_csrf_token": token.group(1)}).encode()
                request = scope("POST", "/me/new-link", client, cookies, body)
                answered, finished, answer = await call(app, request, body)
                assert answer["status"] == 200, answer
                times[kind]["answered"].append(answered * 1000)
                times[kind]["finished"].append(finished * 1000)
            # The background mail sender starts 0.2 s after a commit that wrote an e-mail
            # (web.core.mail.BATCH_DELAY): let it run between pairs, not during the next one.
            await asyncio.sleep(PAUSE_SECONDS)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("TANDEM_DATABASE_URL") or f"sqlite:///{tmp}/tandem.db"
        known = build(url, args.pairs)
        settings = Settings(
            database_url=url,
            secret_key="benchmark-secret-key-with-more-than-32-characters",  # noqa: S106
            env="development",
            mail_dir=f"{tmp}/mail",
            erasure_ledger=f"{tmp}/erasures.jsonl",
        )
        times = asyncio.run(measure(settings, known))
    print(f"POST /me/new-link, {args.pairs} pairs, {create_db_engine(url).dialect.name}")
    medians = {}
    for kind, series in times.items():
        medians[kind] = {name: statistics.median(values) for name, values in series.items()}
        print(
            f"  {kind:8} answered in {medians[kind]['answered']:6.2f} ms (median), "
            f"finished in {medians[kind]['finished']:6.2f} ms"
        )
    pairs = zip(times["known"]["answered"], times["unknown"]["answered"], strict=True)
    differences = sorted(known - unknown for known, unknown in pairs)
    gap = statistics.median(differences)
    quartiles = statistics.quantiles(differences, n=4)
    verdict = "ok" if abs(gap) < TARGET_MS else "TOO LARGE"
    print(
        f"  known minus unknown, pair by pair: median {gap:+.2f} ms "
        f"(middle half {quartiles[0]:+.2f} to {quartiles[2]:+.2f} ms; "
        f"target below {TARGET_MS} ms: {verdict})"
    )


if __name__ == "__main__":
    main()
