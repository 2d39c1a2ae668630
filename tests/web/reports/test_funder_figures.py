"""Issue 15 §9: proposals and sign-ups in the funder report, hand-counted on a seeded month
(``tests.worlds.funder_month``), each figure with its chart and its CSV/XLSX, unchanged by
erasure."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
from sqlalchemy import select

from tests.builders import db, html, login
from tests.worlds import at_noon, funder_month
from web.core.models import AuditLog, Event, Participant
from web.core.participants import erase
from web.reports import figures

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def march(engine, region_id: int) -> figures.Figures:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return figures.build(session, region_id=region_id, begin=MARCH[0], end=MARCH[1])


def test_every_figure_matches_a_hand_count(engine, settings):
    world = funder_month(engine, settings)
    found = march(engine, world.kassel_id)
    # Proposed in March: T1, T2, T3 (3 Mar) and T4 (20 Mar); T0 went out in February and
    # Göttingen's is another region.
    assert found.proposals["proposed"] == 4
    # Accepted by both in March: T0 (2 Mar) and T1 (5 Mar).
    assert found.proposals["accepted"] == 2
    assert found.proposals["declined"] == 2  # T2 (Nuri), T4 (Lale)
    assert found.proposals["expired"] == 1  # T3: Naz never answered
    assert found.proposals["withdrawn"] == 0
    assert found.declined_by_reason == {"local_declined": 1, "newcomer_declined": 1}
    assert found.expired_by_reason == {"newcomer_silent": 1}
    assert found.acceptance_rate == 2 / 5  # 2 accepted of 5 closed
    # Newcomer's sign-up → proposal: Nabil 1 Feb→3 Mar 30, Nuri 11 Feb→3 Mar 20, Naz
    # 21 Feb→3 Mar 10, Nele 1 Mar→20 Mar 19: median of 10, 19, 20, 30 = 19.5.
    assert found.median_days_to_proposal == 19.5
    # → started tandem: Nadia 26 Jan→2 Mar 35, Nabil 1 Feb→5 Mar 32: median 33.5.
    assert found.median_days_to_tandem == 33.5
    # Sign-ups in March (Kassel): Nele (newcomer, 16), Lutz (76), Lisa (36), Lars (26).
    assert found.signups_by_role == {"newcomer": 1, "local": 3}
    assert found.by_age_group == {
        "under_18": (1, 0),
        "18_29": (0, 1),
        "30_49": (0, 1),
        "65_plus": (0, 1),
    }
    assert found.by_area == {"kassel-town": (1, 1), "Vellmar": (0, 2)}


def test_the_page_shows_each_figure_with_a_chart_and_downloads(client, engine, settings):
    world = funder_month(engine, settings)
    login(client, "alice@example.org")
    page = html(
        client.get("/coordinator/reports?region=kassel&period=month&start=2026-03-01&lang=de")
    )
    sections = {s["data-figures"]: s for s in page.select("section[data-figures]")}
    assert set(sections) == {
        "proposals", "outcomes", "days", "declined_reasons", "expired_reasons", "roles",
        "age_groups", "areas",
    }  # fmt: skip
    for name, section in sections.items():
        assert section.select("svg.chart"), name
        links = [a["href"] for a in section.select("a")]
        assert any("reports.csv" in link for link in links), name
        assert any("reports.xlsx" in link for link in links), name

    def cells(name: str) -> dict[str, list[str]]:
        return {
            row.find_all("td")[0].get_text(): [td.get_text() for td in row.find_all("td")[1:]]
            for row in sections[name].select("tbody tr")
        }

    assert cells("proposals")["Gestellte Anfragen"] == ["4"]
    assert cells("outcomes")["Zusagequote (beide haben zugesagt)"] == ["40"]
    assert cells("days")["Von der Anmeldung bis zur Anfrage"] == ["19,5"]  # decimal comma
    assert cells("declined_reasons") == {
        "Die einheimische Tandempartner*in hat abgesagt": ["1"],
        "Die neuzugewanderte Person hat abgesagt": ["1"],
    }
    assert cells("age_groups")["Unter 18"] == ["1", "0"]
    assert cells("areas")["Vellmar"] == ["0", "2"]
    text = page.get_text()
    for code in ("local_declined", "newcomer_silent", "under_18", "65_plus"):
        assert code not in text

    response = client.get(
        "/coordinator/reports.csv?table=days&region=kassel&period=month&start=2026-03-01&lang=de"
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Kennzahl", "Tage (Median)"],
        ["Von der Anmeldung bis zur Anfrage", "19,5"],
        ["Von der Anmeldung bis zum Start des Tandems", "33,5"],
    ]
    response = client.get(
        "/coordinator/reports.xlsx?table=outcomes&region=kassel&period=month&start=2026-03-01"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [cell.value for cell in list(sheet.iter_rows())[1]] == [
        "Zusagequote (beide haben zugesagt)",
        40,
    ]
    with db(engine) as session:
        exported = session.scalars(
            select(AuditLog.subject_id).where(AuditLog.action == "export.report")
        ).all()
    assert exported == [str(world.kassel_id)] * 2
    assert client.get("/coordinator/reports.xlsx?table=areas&region=goettingen").status_code == 404


def test_the_figures_survive_erasure(engine, settings):
    world = funder_month(engine, settings)
    before = march(engine, world.kassel_id)
    with db(engine) as session:
        for name in ("nabil", "nuri", "lutz", "nele"):  # in a tandem, declined, signed up
            erase(
                session, session.get(Participant, world.ids[name]), now=at_noon("2026-04-15"),
                ledger=None,
            )  # fmt: skip
    after = march(engine, world.kassel_id)
    assert after == before
    with db(engine) as session:
        assert len(session.scalars(select(Event).where(Event.kind == "erased")).all()) == 4
