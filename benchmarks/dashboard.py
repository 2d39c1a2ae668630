"""Server time of the coordinator dashboard with the demo data plus 5,000 extra people.

    python benchmarks/dashboard.py                       # admin (all regions), 30 requests
    python benchmarks/dashboard.py --login kassel@tandem.example --requests 50

Migrates a temporary SQLite database with Alembic, loads ``web.ops.demo.load_demo``,
adds N extra participants in bulk (all statuses, in every demo region) and, among
them, tandems of every kind the dashboard lists (suggestions, proposals without an
answer, fit checks due, worrying check-ins, unhandled problem reports, ended ones
that must not show). Logs in through the Litestar test client and times
``GET /coordinator/`` around ``client.get`` (routing, the queries and the
template; no network). Prints the median and the 95th percentile and the number
of SQL statements of one request. Target: median under 150 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from web.app import create_app  # noqa: E402
from web.cli import alembic_config  # noqa: E402
from web.core.db import create_db_engine, transaction  # noqa: E402
from web.core.folding import search_text  # noqa: E402
from web.core.models import (  # noqa: E402
    CheckIn,
    Participant,
    ParticipantLanguage,
    Place,
    ProblemReport,
    Tandem,
    new_public_id,
)
from web.core.settings import Settings  # noqa: E402
from web.core.vocabulary import INTERESTS, SLOTS  # noqa: E402
from web.ops.demo import DEMO_PASSWORD, load_demo  # noqa: E402

TARGET_MS = 150.0
STATUSES = ("pending", "active", "active", "active", "paused", "withdrawn", "unverified")


def build(url: str, extra: int, rng: random.Random) -> dict[str, int]:
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    today = date.today()  # noqa: DTZ011 (waiting days are counted in local days)
    with transaction(engine) as session:
        load_demo(session, today=today)
        places = session.execute(select(Place.id, Place.region_id)).all()
        places = [(pid, rid) for pid, rid in places if rid is not None]
        rows = []
        for i in range(extra):
            role = "local" if i % 2 else "newcomer"
            rows.append(
                {
                    "public_id": new_public_id(),
                    "role": role,
                    "status": rng.choice(STATUSES),
                    "first_name": f"Extra{i}",
                    "email": f"extra{i}@bench.example",
                    "search_text": search_text(f"Extra{i}", None, f"extra{i}@bench.example"),
                    "locale": "de",
                    "place_id": rng.choice(places)[0],
                    "birth_year": rng.randint(1950, 2005),
                    "capacity": 2 if role == "local" else 1,
                    "open_tandems": 0,
                    "online_ok": False,
                    "partner_genders": [],
                    "learning": ["de"] if role == "newcomer" else [],
                    "interests": rng.sample(sorted(INTERESTS), 3),
                    "help_topics": [],
                    "slots": rng.sample(SLOTS, 3),
                    "waiting_since": today - timedelta(days=rng.randint(0, 500)),
                    "verified_at": now - timedelta(days=rng.randint(1, 500)),
                    "created_at": now - timedelta(days=rng.randint(1, 500)),
                    "updated_at": now,
                }
            )
        session.execute(insert(Participant), rows)
        people = session.execute(
            select(Participant.id, Participant.role, Participant.place_id).where(
                Participant.email.like("%@bench.example")  # type: ignore[attr-defined]
            )
        ).all()
        session.execute(
            insert(ParticipantLanguage),
            [{"participant_id": pid, "language": "de", "level": "B1"} for pid, _, _ in people],
        )
        region_of = dict(places)
        locals_ = [p for p in people if p.role == "local"]
        newcomers = [p for p in people if p.role == "newcomer"]
        kinds = ["suggested", "proposed", "fit_due", "worried", "problem", "ended", "active"]
        tandems = []
        for n, (local, newcomer) in enumerate(zip(locals_, newcomers, strict=False)):
            if n >= extra // 4:
                break
            kind = kinds[n % len(kinds)]
            status = {"fit_due": "active", "worried": "active", "problem": "paused"}.get(kind, kind)
            started = now - timedelta(days=rng.randint(30, 300))
            tandems.append(
                {
                    "public_id": new_public_id(),
                    "local_id": local.id,
                    "newcomer_id": newcomer.id,
                    "region_id": region_of[newcomer.place_id],
                    "status": status,
                    "components": {},
                    "reasons": [],
                    "pinned": False,
                    "manual": False,
                    "created_at": started - timedelta(days=10),
                    "proposed_at": started - timedelta(days=5) if status != "suggested" else None,
                    "started_at": started if status in ("active", "paused", "ended") else None,
                    "fit_check_due_at": started + timedelta(days=28),
                    "fit_checked_at": None if kind == "fit_due" else started + timedelta(days=29),
                    "ended_at": now - timedelta(days=3) if status == "ended" else None,
                    "end_reason": "no_time" if status == "ended" else None,
                }
            )
        session.execute(insert(Tandem), tandems)
        ids = session.execute(
            select(Tandem.id, Tandem.status).where(Tandem.local_id.in_([p.id for p in locals_]))  # type: ignore[union-attr]
        ).all()
        checkins, reports = [], []
        for tandem_id, status in ids:
            if status in ("active", "ended"):
                checkins.append(
                    {
                        "tandem_id": tandem_id,
                        "role": "newcomer",
                        "kind": "regular",
                        "sent_at": now - timedelta(days=3),
                        "answered_at": now - timedelta(days=2),
                        "mood": rng.randint(1, 5),
                        "needs_attention": rng.random() < 0.3,
                    }
                )
            if status in ("paused", "ended"):
                reports.append(
                    {
                        "tandem_id": tandem_id,
                        "reporter_role": "local",
                        "kind": "unreachable",
                        "created_at": now - timedelta(days=rng.randint(0, 20)),
                        "handled_at": None if status == "paused" else now,
                    }
                )
        session.execute(insert(CheckIn), checkins)
        session.execute(insert(ProblemReport), reports)
        counts = {"people": extra, "tandems": len(tandems), "check_ins": len(checkins)}
    engine.dispose()
    return counts


def login(client: TestClient, email: str) -> None:
    page = BeautifulSoup(client.get("/login").text, "html.parser")
    token = page.find("input", attrs={"name": "_csrf_token"})["value"]  # type: ignore[index]
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"login failed: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extra", type=int, default=5000, help="extra participants")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--login", default="admin@tandem.example", help="a demo account")
    parser.add_argument("--lang", default="de")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'tandem.db'}"
        command.upgrade(alembic_config(url), "head")
        counts = build(url, args.extra, random.Random(args.seed))  # noqa: S311 (test data)
        settings = Settings(
            database_url=url,
            secret_key="benchmark-secret-key-with-more-than-32-characters",  # noqa: S106
            env="development",
            mail_dir=str(Path(folder) / "mail"),
        )
        path = f"/coordinator/?lang={args.lang}"
        with TestClient(app=create_app(settings)) as client:
            login(client, args.login)
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
            page = BeautifulSoup(response.text, "html.parser")
            totals = {
                s["data-section"]: int(s.select_one("[data-count]")["data-count"])  # type: ignore[index]
                for s in page.select("section[data-section]")
            }
            if response.status_code != 200 or len(totals) != 7:
                raise SystemExit(f"unexpected page: {response.status_code}, {totals}")

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
        f"dashboard, demo data + {counts['people']} people, {counts['tandems']} tandems, "
        f"{counts['check_ins']} check-ins; {args.login}, {args.requests} requests ({args.lang})"
    )
    print(f"  counts  {totals}")
    print(f"  median  {median:7.1f} ms")
    print(f"  p95     {p95:7.1f} ms")
    print(f"  min/max {timings[0]:7.1f} / {timings[-1]:.1f} ms")
    print(f"  cpu     {statistics.median(cpu):7.1f} ms (median, process CPU time)")
    print(f"  queries {len(statements):7d} per request")
    verdict = "met" if median < TARGET_MS else "MISSED"
    print(f"  target  median < {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
