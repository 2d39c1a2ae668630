from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.builders import db, html, login, make_coordinator, make_participant, make_region
from web.core.models import Event, Participant, Region
from web.core.spreadsheets import neutralise
from web.reports import reports


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def fixed_world(engine) -> int:  # type: ignore[no-untyped-def]
    """A year of events in Kassel, with numbers easy to count by hand."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])

        def event(kind: str, day: str, **values) -> None:  # type: ignore[no-untyped-def]
            session.add(Event(kind=kind, at=at(day), region_id=kassel.id, **values))

        event(
            "signed_up",
            "2026-03-02",
            role="newcomer",
            languages=["ar", "de"],
            interests=["football"],
        )
        event("signed_up", "2026-03-05", role="newcomer", languages=["fa"], interests=["cooking"])
        event(
            "signed_up", "2026-03-09", role="local", languages=["de", "en"], interests=["football"]
        )
        event("signed_up", "2026-02-20", role="local", languages=["de"])  # before the period
        event("started", "2025-11-10", tandem_ref="t0", days=40)  # long before, still running
        event("started", "2026-03-10", tandem_ref="t1", days=30)
        event("started", "2026-03-20", tandem_ref="t2", days=90)
        event("started", "2025-12-01", tandem_ref="t3", days=10)
        event("ended", "2026-03-25", tandem_ref="t3", reason="moved_away", days=114)
        event("ended", "2026-03-28", tandem_ref="t2", reason="conflict", days=8)
        session.add(
            Event(kind="signed_up", at=at("2026-03-03"), region_id=goettingen.id, role="newcomer")
        )
        return kassel.id


def test_the_figures_match_a_hand_count(engine):
    region_id = fixed_world(engine)
    with db(engine) as session:
        report = reports.build(session, region_id=region_id, period="month", start=date(2026, 3, 1))
    assert report.signups == {"newcomer": 2, "local": 1}
    assert report.formed == 2  # t1 and t2 started in March
    assert report.active_at_end == 2  # t0 and t1
    assert report.ended_by_reason == {"moved_away": 1, "conflict": 1}
    assert report.median_duration_days == 61  # median of 114 and 8
    assert report.median_waiting_days == 60  # median of 30 and 90
    # Started at least three months before 1 April: t0 (still running) and t3 (ended in
    # month four) → both lasted three months.
    assert report.still_active_3_months == 1.0
    assert report.still_active_6_months is None  # nobody started six months before the end
    assert report.languages["de"] == (1, 1) and report.languages["en"] == (0, 1)
    assert report.interests["football"] == (1, 1)


def test_the_figures_do_not_change_when_someone_erases_their_data(engine, client):
    region_id = fixed_world(engine)
    with db(engine) as session:
        person = make_participant(session, session.get(Region, region_id))
        before = reports.build(
            session, region_id=region_id, period="quarter", start=date(2026, 1, 1)
        )
    from web.core.participants import erase

    with db(engine) as session:
        erase(session, session.get(Participant, person.id), now=at("2026-06-01"), ledger=None)
    with db(engine) as session:
        after = reports.build(
            session, region_id=region_id, period="quarter", start=date(2026, 1, 1)
        )
        assert session.scalars(select(Event.kind).where(Event.kind == "erased")).all() == ["erased"]
    assert after == before


def test_the_page_shows_tables_and_charts_for_the_own_region_only(client, engine):
    fixed_world(engine)
    login(client, "alice@example.org")
    page = html(
        client.get("/coordinator/reports?region=kassel&period=month&start=2026-03-01&lang=en")
    )
    summary = {
        row.find_all("td")[0].get_text(): row.find_all("td")[1].get_text()
        for row in page.select("section.report-table")[0].select("tbody tr")
    }
    assert summary["Tandems formed"] == "2"
    assert summary["Sign-ups of newcomers"] == "2"
    assert page.select("svg.chart")  # drawn on the server
    assert client.get("/coordinator/reports?region=goettingen").status_code == 404


def test_bad_parameters_are_a_400_not_a_500(client, engine):
    fixed_world(engine)
    login(client, "alice@example.org")
    for query in (
        "period=week",
        "start=2026-03-15",
        "period=quarter&start=2026-02-01",
        "start=not-a-date",
    ):
        response = client.get(f"/coordinator/reports?region=kassel&{query}")
        assert response.status_code == 400, query
    assert client.get("/coordinator/reports.csv?table=nonsense&region=kassel").status_code == 400


def test_csv_cells_never_run_as_formulas(client, engine):
    for cell in ("=SUM(A1)", "+1", "-1", "@x", "\tx"):
        assert neutralise(cell).startswith("'")
    assert neutralise("Kassel") == "Kassel"
    fixed_world(engine)
    login(client, "alice@example.org")
    response = client.get(
        "/coordinator/reports.csv?table=summary&region=kassel&period=month&start=2026-03-01&lang=en"
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # German Excel: BOM, ";"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Figure", "Value"]
    assert ["Tandems formed", "2"] in rows
