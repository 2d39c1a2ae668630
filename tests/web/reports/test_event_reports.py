"""Events in the funders' report (issue 17 §3): events held, attendance by role, first-time
attendees and tandems that met at an event, counted from anonymous events only.

The seeded month, counted by hand (Kassel, March 2026):

=========  =======================================================  =====
date       who came                                                 first
=========  =======================================================  =====
5 March    newcomer, newcomer, local, walk-in                       N, L
12 March   newcomer + local of tandem A, newcomer                   N
19 March   tandem A again, newcomer + local of tandem B, walk-in
=========  =======================================================  =====

3 dates held; 6 newcomers, 4 locals, 2 walk-ins (12 attendances); 3 first-timers (2
newcomers, 1 local); 2 tandems met (A twice counts once). February and Göttingen are
outside the count.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlmodel import Session

from tests.builders import db, html, login, make_coordinator, make_participant, make_region
from web.core import events
from web.core.models import Event, Participant, Region
from web.core.participants import erase
from web.reports import occasions, reports


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=19, tzinfo=UTC)


def attended(session: Session, region: Region, day: str, role: str, **fields: object) -> None:
    events.record(session, "occ_attended", at=at(day), region_id=region.id, role=role, **fields)


def seeded_month(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Kassel's events of March 2026 (the table above); returns Kassel's id and the id of
    Nour, a newcomer who came and later erases her data."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        nour = make_participant(session, kassel, first_name="Nour")
        for day in ("2026-03-05", "2026-03-12", "2026-03-19", "2026-02-26"):
            events.record(session, "occ_held", at=at(day), region_id=kassel.id)
        events.record(session, "occ_held", at=at("2026-03-05"), region_id=goettingen.id)
        attended(session, kassel, "2026-03-05", "newcomer", reason="first")  # Nour
        attended(session, kassel, "2026-03-05", "newcomer")
        attended(session, kassel, "2026-03-05", "local", reason="first")
        attended(session, kassel, "2026-03-05", "walk_in")
        for day, ref in (("2026-03-12", "A"), ("2026-03-19", "A"), ("2026-03-19", "B")):
            for role in ("newcomer", "local"):
                session.add(Event(kind="occ_attended", at=at(day), region_id=kassel.id,
                                  role=role, tandem_ref=ref))  # fmt: skip
        attended(session, kassel, "2026-03-12", "newcomer", reason="first")
        attended(session, kassel, "2026-03-19", "walk_in")
        attended(session, kassel, "2026-02-26", "newcomer", reason="first")  # February
        attended(session, goettingen, "2026-03-05", "local", reason="first")  # Göttingen
        return kassel.id, nour.id  # type: ignore[return-value]


def figures(engine, region_id: int) -> occasions.OccasionFigures:  # type: ignore[no-untyped-def]
    begin, end = reports.period_bounds("month", date(2026, 3, 1))
    with db(engine) as session:
        return occasions.build(session, region_id=region_id, begin=begin, end=end)


def test_the_event_figures_match_the_hand_count(engine) -> None:
    kassel_id, _ = seeded_month(engine)
    counted = figures(engine, kassel_id)
    assert counted.held == 3
    assert counted.attended == {"newcomer": 6, "local": 4, "walk_in": 2}
    assert counted.attendees == 12
    assert counted.first_time == {"newcomer": 2, "local": 1, "walk_in": 0}
    assert counted.first_timers == 3
    assert counted.tandems_met == 2


def test_the_event_figures_survive_the_erasure_of_someone_who_came(engine) -> None:
    kassel_id, nour_id = seeded_month(engine)
    before = figures(engine, kassel_id)
    with db(engine) as session:
        nour = session.get(Participant, nour_id)
        assert nour is not None
        erase(session, nour, now=at("2026-04-02"), ledger=None)
    with db(engine) as session:
        assert session.get(Participant, nour_id) is None
    assert figures(engine, kassel_id) == before


def test_the_report_page_shows_the_events_table_and_chart(client, engine) -> None:
    seeded_month(engine)
    login(client, "alice@example.org")
    page = html(
        client.get("/coordinator/reports?region=kassel&period=month&start=2026-03-01&lang=en")
    )
    sections = {
        heading.get_text(): section
        for section in page.select("section.report-table")
        if (heading := section.find("h2")) is not None  # the funder's figures have h3s
    }
    overview = {
        row.find_all("td")[0].get_text(): row.find_all("td")[1].get_text()
        for row in sections["Events"].select("tbody tr")
    }
    assert overview == {
        "Event dates held": "3",
        "Attendances": "12",
        "First-time attendees": "3",
        "Tandems that met at an event": "2",
    }
    attendance = sections["Attendance at events by role"]
    rows = [[cell.get_text() for cell in row.find_all("td")] for row in attendance("tr")[1:]]
    assert rows == [["Newcomers", "6", "2"], ["Locals", "4", "1"], ["Walk-ins", "2", "0"]]
    assert attendance.select_one("svg.chart") is not None
    assert sections["Events"].select_one("svg.chart") is None  # unlike figures: no bars


def test_the_attendance_table_downloads_as_csv(client, engine) -> None:
    seeded_month(engine)
    login(client, "alice@example.org")
    response = client.get(
        "/coordinator/reports.csv?table=attendance&region=kassel&period=quarter"
        "&start=2026-01-01&lang=en"
    )
    # For German Excel: UTF-8 with a byte-order mark, semicolons (web.core.spreadsheets).
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # The quarter holds February too: one more newcomer, for the first time.
    assert rows == [
        ["Who came", "Attendances", "First time"],
        ["Newcomers", "7", "3"],
        ["Locals", "4", "1"],
        ["Walk-ins", "2", "0"],
    ]
