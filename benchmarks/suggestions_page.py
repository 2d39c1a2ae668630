"""Server time of the coordinator's suggestions page with many suggestions.

    python benchmarks/suggestions_page.py                 # 500 suggestions, 30 requests
    python benchmarks/suggestions_page.py --suggestions 1000 --requests 50

Builds a region with N suggested pairs (2N people with languages, interests and
reasons like a matching run writes them) in a temporary SQLite database migrated
with Alembic, logs a coordinator in through the Litestar test client and times
``GET /coordinator/regions/<slug>/suggestions`` around ``client.get`` (routing,
the queries, the reasons in words and the template; no network). The page shows
``PAGE_SIZE`` (100) cards at a time, filtered and sorted in SQL. Prints the
median and the 95th percentile and the number of SQL statements of one request.
Target: under 150 ms with 500 suggestions.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from web.app import create_app  # noqa: E402
from web.cli import alembic_config  # noqa: E402
from web.core.auth import hash_password  # noqa: E402
from web.core.db import create_db_engine, transaction  # noqa: E402
from web.core.models import (  # noqa: E402
    Coordinator,
    Participant,
    ParticipantLanguage,
    Place,
    Region,
    Tandem,
)
from web.core.settings import Settings  # noqa: E402
from web.core.vocabulary import HELP_TOPICS, INTERESTS, SLOTS  # noqa: E402
from web.suggestions.routes import PAGE_SIZE  # noqa: E402

PASSWORD = "benchmark password, not a secret"  # noqa: S105
TARGET_MS = 150.0
TOWNS = [
    ("Kassel", 51.3127, 9.4797),
    ("Vellmar", 51.35, 9.4667),
    ("Baunatal", 51.2515, 9.4183),
    ("Lohfelden", 51.2667, 9.5333),
    ("Kaufungen", 51.2833, 9.6167),
    ("Fuldatal", 51.35, 9.5333),
]
NEWCOMER_LANGUAGES = ["ar", "fa", "uk", "ru", "tr", "ti", "ku", "so"]


def build(url: str, n: int, rng: random.Random) -> None:
    engine = create_db_engine(url)
    today = date.today()  # noqa: DTZ011 (waiting days are counted in local days)
    with transaction(engine) as session:
        region = Region(slug="kassel", name="Kassel", centre_lat=51.31, centre_lon=9.48)
        session.add(region)
        session.flush()
        places = [
            Place(geonameid=800000 + i, name=name, lat=lat, lon=lon, region_id=region.id)
            for i, (name, lat, lon) in enumerate(TOWNS)
        ]
        session.add_all(places)
        session.add(
            Coordinator(
                email="alice@example.org",
                display_name="Alice",
                password_hash=hash_password(PASSWORD),
                regions=[region],
            )
        )
        session.flush()

        def person(role: str, i: int, languages: dict[str, str]) -> Participant:
            someone = Participant(
                role=role,
                status="active",
                first_name=f"{role.title()}{i}",
                email=f"{role}{i}@example.org",
                place_id=rng.choice(places).id,
                birth_year=rng.randint(1950, 2005),
                interests=rng.sample(sorted(INTERESTS), 4),
                help_topics=rng.sample(sorted(HELP_TOPICS), 2),
                slots=rng.sample(SLOTS, 4),
                learning=["de"] if role == "newcomer" else [],
                waiting_since=today - timedelta(days=rng.randint(0, 400)),
            )
            someone.languages = [
                ParticipantLanguage(language=c, level=lv) for c, lv in languages.items()
            ]
            return someone

        locals_ = [
            person("local", i, {"de": "native", "en": rng.choice(["B1", "B2", "C1"])})
            for i in range(n)
        ]
        newcomers = [
            person(
                "newcomer", i, {rng.choice(NEWCOMER_LANGUAGES): "native", "en": "B2", "de": "A2"}
            )
            for i in range(n)
        ]
        session.add_all(locals_ + newcomers)
        session.flush()
        for local, newcomer in zip(locals_, newcomers, strict=True):
            shared = sorted(set(local.interests) & set(newcomer.interests)) or local.interests[:1]
            components = {
                key: round(rng.random(), 6)
                for key in (
                    "interests",
                    "offers_needs",
                    "availability",
                    "nearness",
                    "language",
                    "waiting",
                )
            }
            session.add(
                Tandem(
                    local_id=local.id,
                    newcomer_id=newcomer.id,
                    region_id=region.id,
                    status="suggested",
                    score=round(sum(components.values()) / len(components), 6),
                    components=components,
                    reasons=[
                        {"code": "common_language", "items": ["en"], "level": "B2"},
                        {"code": "practice_language", "items": ["de"], "for": "newcomer"},
                        {"code": "shared_interests", "items": shared},
                        {"code": "offers_needs", "items": local.help_topics[:1]},
                        {"code": "slots", "items": sorted(local.slots[:2])},
                        {"code": "distance_km", "value": round(rng.uniform(0.5, 20), 1)},
                        {"code": "waiting_days", "value": (today - newcomer.waiting_since).days},
                    ],
                )
            )
    engine.dispose()


def login(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/login").text, "html.parser")
    token = page.find("input", attrs={"name": "_csrf_token"})["value"]  # type: ignore[index]
    response = client.post(
        "/login",
        data={"email": "alice@example.org", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suggestions", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--lang", default="de", help="the coordinator's language")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tandem.db'}"
        command.upgrade(alembic_config(url), "head")
        build(url, args.suggestions, random.Random(args.seed))
        settings = Settings(
            database_url=url,
            secret_key="benchmark-secret-key-with-more-than-32-characters",  # noqa: S106
            env="development",
            mail_dir=str(Path(folder) / "mail"),
        )
        path = f"/coordinator/regions/kassel/suggestions?lang={args.lang}"
        with TestClient(app=create_app(settings)) as client:
            login(client)
            for _ in range(3):  # warm up: templates, catalogues, the session's last-seen time
                client.get(path)
            statements: list[str] = []

            def count(conn, cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
                if not statement.startswith("BEGIN"):
                    statements.append(statement)

            engine = client.app.state.engine
            event.listen(engine, "before_cursor_execute", count)
            response = client.get(path)
            event.remove(engine, "before_cursor_execute", count)
            cards = BeautifulSoup(response.text, "html.parser").select("li[data-suggestion]")
            if response.status_code != 200 or len(cards) != min(args.suggestions, PAGE_SIZE):
                raise SystemExit(f"unexpected page: {response.status_code}, {len(cards)} cards")

            timings, cpu = [], []
            for _ in range(args.requests):
                start, start_cpu = time.perf_counter(), time.process_time()
                client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)

    timings.sort()
    median = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"suggestions page, {args.suggestions} suggestions, {args.requests} requests ({args.lang})"
    )
    print(f"  median  {median:7.1f} ms")
    print(f"  p95     {p95:7.1f} ms")
    print(f"  min/max {timings[0]:7.1f} / {timings[-1]:.1f} ms")
    # CPU time of the whole process (server and test client): what the request costs
    # when the machine is shared and wall time waits for other processes.
    print(f"  cpu     {statistics.median(cpu):7.1f} ms (median, process CPU time)")
    print(f"  page    {len(response.content) / 1024:7.0f} KiB")
    print(f"  queries {len(statements):7d} per request")
    verdict = "met" if median < TARGET_MS else "MISSED"
    print(f"  target  median < {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
