"""Server time of the coordinator's everyday pages with 10,000 participants in one region.

    python benchmarks/coordinator_pages.py                                  # SQLite
    python benchmarks/coordinator_pages.py --database-url postgresql+psycopg://…/bench

Builds the world of ``benchmarks/dashboard.py`` (the demo plus N extra people with
tandems of every kind, check-ins and problem reports), then moves every extra person and
tandem into Kassel, so that the Kassel coordinator's region holds 10,000+ people. Logs in
as that coordinator through the Litestar test client and times, around ``client.get``
(routing, queries, template; no network): the participant list (first page and a
filtered page), a search, the dashboard and the suggestions page. Prints median, 95th
percentile and the SQL statements of one request. Target: median ≤ 100 ms each.
A PostgreSQL database given by URL is emptied first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from alembic import command  # noqa: E402
from dashboard import build, login  # type: ignore[import-not-found]  # noqa: E402
from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import event, select, text, update  # noqa: E402

from web.app import create_app  # noqa: E402
from web.cli import alembic_config  # noqa: E402
from web.core.db import create_db_engine, transaction  # noqa: E402
from web.core.models import Participant, Place, Region, Tandem  # noqa: E402
from web.core.settings import Settings  # noqa: E402

TARGET_MS = 100.0
PAGES = {
    "participants list": "/coordinator/participants?lang=de",
    "participants, waiting newcomers": (
        "/coordinator/participants?role=newcomer&status=waiting&lang=de"
    ),
    "search 'extra12'": "/coordinator/search?q=extra12&lang=de",
    "search 'müll' (no hit)": "/coordinator/search?q=m%C3%BCll&lang=de",
    "dashboard": "/coordinator/?lang=de",
    "suggestions page": "/coordinator/regions/kassel/suggestions?lang=de",
}


def into_kassel(url: str) -> int:
    """Every extra person and tandem into Kassel; returns the people in Kassel now."""
    engine = create_db_engine(url)
    with transaction(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        places = session.scalars(select(Place.id).where(Place.region_id == kassel.id)).all()
        others = session.scalars(
            select(Participant.id).where(Participant.email.like("%@bench.example"))  # type: ignore[attr-defined]
        ).all()
        for n, pid in enumerate(others):
            session.execute(
                update(Participant)
                .where(Participant.id == pid)
                .values(place_id=places[n % len(places)])
            )
        session.execute(update(Tandem).values(region_id=kassel.id))
        people = session.scalar(
            select(text("count(*)"))
            .select_from(Participant)
            .join(Place, Participant.place_id == Place.id)
            .where(Place.region_id == kassel.id)
        )
    engine.dispose()
    return int(people or 0)


def measure(client: TestClient, path: str, requests: int) -> tuple[float, float, int]:
    engine = client.app.state.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN") and "store_entry" not in statement:
            statements.append(statement)

    assert client.get(path).status_code == 200, path  # warm up
    event.listen(engine, "before_cursor_execute", count)
    client.get(path)
    event.remove(engine, "before_cursor_execute", count)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extra", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'tandem.db'}"
        if url.startswith("postgresql"):
            engine = create_db_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        command.upgrade(alembic_config(url), "head")
        build(url, args.extra, random.Random(1))  # noqa: S311 (test data)
        people = into_kassel(url)
        settings = Settings(
            database_url=url,
            secret_key="benchmark-secret-key-with-more-than-32-characters",  # noqa: S106
            env="development",
            mail_dir=str(Path(folder) / "mail"),
        )
        print(f"{url.split(':')[0]}: {people} participants in Kassel")
        with TestClient(app=create_app(settings)) as client:
            login(client, "kassel@tandem.example")
            for name, path in PAGES.items():
                median, p95, queries = measure(client, path, args.requests)
                flag = "ok" if median <= TARGET_MS else "SLOW"
                print(f"  {name:34} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                      f"{queries:2d} statements  {flag}")  # fmt: skip


if __name__ == "__main__":
    main()
