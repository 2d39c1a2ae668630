"""The participant list: where each person stands, filters, sorting, paging.

Alice coordinates Kassel. Her people: Lena (local, in an active tandem with Nour since
1 March), Nour (newcomer, in that tandem, 293 days "waiting" on paper), Mira (newcomer,
waiting since 1 February), Omar (newcomer, proposed to Karl on 20 November), Karl (local),
Sami (newcomer, his tandem ended: paused), Pia (withdrawn), Udo (local, his tandem is paused).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from tests.builders import db, html, login, make_coordinator, make_participant, make_region
from web.core.models import Tandem

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def world(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        people = {}

        def person(name: str, **kw):  # type: ignore[no-untyped-def]
            people[name] = make_participant(session, kassel, first_name=name, **kw)
            return people[name]

        lena = person("Lena", role="local", capacity=2, open_tandems=1)
        nour = person("Nour", waiting_since=date(2026, 2, 13), open_tandems=1)
        person("Mira", waiting_since=date(2026, 2, 1))
        omar = person("Omar", waiting_since=date(2026, 6, 1), open_tandems=1)
        karl = person("Karl", role="local", open_tandems=1)
        sami = person("Sami", status="paused", waiting_since=date(2026, 1, 5))
        person("Pia", status="withdrawn")
        udo = person("Udo", role="local", open_tandems=1)
        ute = person("Ute", open_tandems=1)
        session.add_all(
            [
                Tandem(local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id,
                       status="active", started_at=datetime(2026, 3, 1, 9, tzinfo=UTC)),
                Tandem(local_id=karl.id, newcomer_id=omar.id, region_id=kassel.id,
                       status="proposed", proposed_at=datetime(2026, 11, 20, 9, tzinfo=UTC)),
                Tandem(local_id=lena.id, newcomer_id=sami.id, region_id=kassel.id,
                       status="ended", started_at=datetime(2026, 4, 1, 9, tzinfo=UTC),
                       ended_at=datetime(2026, 9, 30, 9, tzinfo=UTC)),
                Tandem(local_id=udo.id, newcomer_id=ute.id, region_id=kassel.id,
                       status="paused", started_at=datetime(2026, 5, 1, 9, tzinfo=UTC),
                       paused_at=datetime(2026, 10, 2, 9, tzinfo=UTC)),
            ]
        )  # fmt: skip
        session.flush()
        return {name: p.public_id for name, p in people.items()}


def standing_cells(page) -> dict[str, tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    found = {}
    for row in page.select("tr[data-participant]"):
        cells = row.find_all("td")
        where = row.select_one("td[data-standing]")
        found[row.select_one("a[data-person]").get_text(" ", strip=True)] = (
            where["data-standing"],
            where.get_text(" ", strip=True),
            cells[-1].get_text(strip=True),
        )
    return found


def test_it_shows_where_each_person_stands(client, engine):
    world(engine)
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        page = html(client.get("/coordinator/participants?lang=de"))
    cells = {name.split()[0]: value for name, value in standing_cells(page).items()}
    assert cells["Nour"][0] == "in_tandem" and "1. März 2026" in cells["Nour"][1]
    assert cells["Nour"][2] == ""  # in a tandem: not waiting, whatever waiting_since says
    assert cells["Lena"][0] == "in_tandem"
    assert cells["Mira"][0] == "waiting" and "1. Februar 2026" in cells["Mira"][1]
    assert cells["Mira"][2] == "305"
    assert cells["Omar"][0] == "proposed" and "20. November 2026" in cells["Omar"][1]
    assert cells["Karl"][0] == "proposed"
    assert cells["Sami"][0] == "ended" and "30. September 2026" in cells["Sami"][1]
    assert cells["Pia"][0] == "withdrawn" and cells["Pia"][1] == "Zurückgezogen"
    assert cells["Udo"][0] == "tandem_paused" and "2. Oktober 2026" in cells["Udo"][1]
    text = page.get_text(" ")
    for code in (" active ", " paused ", " withdrawn ", "in_tandem"):
        assert code not in text


@pytest.mark.parametrize(
    ("status", "names"),
    [
        ("waiting", {"Mira"}),
        ("in_tandem", {"Lena", "Nour"}),
        ("proposed", {"Omar", "Karl"}),
        ("tandem_paused", {"Udo", "Ute"}),
        ("ended", {"Sami"}),
        ("withdrawn", {"Pia"}),
    ],
)
def test_the_status_filter_agrees_with_the_column(client, engine, status, names):
    world(engine)
    with time_machine.travel(NOW, tick=False):
        login(client, "alice@example.org")
        page = html(client.get(f"/coordinator/participants?status={status}&lang=de"))
    cells = standing_cells(page)
    assert {name.split()[0] for name in cells} == names
    assert {value[0] for value in cells.values()} == {status}


LIST_QUERIES = 10  # the page's statements (with the filter's towns), for any amount of data


def statements_of(client, path: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    engine = client.app.state.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            return
        if "store_entry" not in statement and "outbox_message" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_lists_query_count_does_not_grow_with_the_data(client, engine, extra):
    world(engine)
    with db(engine) as session:
        from sqlalchemy import select

        from web.core.models import Region

        kassel = session.scalars(select(Region)).one()
        for n in range(extra):
            make_participant(session, kassel, first_name=f"Extra{n}", languages={"ar": "native"})
    login(client, "alice@example.org")
    assert statements_of(client, "/coordinator/participants?lang=de") == LIST_QUERIES
