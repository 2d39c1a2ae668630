"""Issue 15 §2: the participant list's filters and sorting, names that tell people apart
everywhere, pairing by hand by typing, and the search kept up to date.

The namesakes world (``tests.worlds.namesakes``): Alice coordinates Kassel with the towns
"kassel-town" and "Baunatal"; two newcomers "Iryna Haddad" (one per town), three Yasmins,
two locals "Ingrid Weber" with a suggestion each. Bob's Göttingen has an Iryna Haddad too.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from tests.builders import (
    add_place,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_local,
    make_newcomer,
    make_region,
)
from tests.worlds import namesakes
from web.core.models import Participant, Tandem, Vetting

LIST = "/coordinator/participants"


def names_in(page, selector: str = "a[data-person]") -> list[str]:  # type: ignore[no-untyped-def]
    """Each linked person as shown: the link's text and the town after it."""
    shown = []
    for link in page.select(selector):
        town = link.find_next_sibling("span", attrs={"data-town": True})
        shown.append(link.get_text(strip=True) + (" " + town.get_text(strip=True) if town else ""))
    return shown


# --- names that tell people apart --------------------------------------------------------------


def test_the_list_and_the_dashboard_tell_the_namesakes_apart(client, engine):
    with db(engine) as session:
        people = {key: p.public_id for key, p in namesakes(session).items()}
    login(client, "alice@example.org")
    listed = html(client.get(LIST + "?role=newcomer&lang=de"))
    shown = names_in(listed)
    assert "Iryna Haddad (kassel-town)" in shown and "Iryna Haddad (Baunatal)" in shown
    assert {
        "Yasmin Çelik (kassel-town)",
        "Yasmin Haddad (Baunatal)",
        "Yasmin (kassel-town)",
    } <= set(shown)
    assert len(shown) == len(set(shown)) == 5  # Bob's Iryna is not Alice's
    links = {a["href"] for a in listed.select("a[data-person]")}
    assert f"{LIST}/{people['iryna_b']}" in links and f"{LIST}/{people['iryna_g']}" not in links

    board = html(client.get("/coordinator/?lang=de"))
    waiting = names_in(board, 'section[data-section="waiting"] a[data-person]')
    assert len(waiting) == len(set(waiting)) == 5
    assert "Iryna Haddad (Baunatal)" in waiting


def test_bulk_confirm_and_the_tandems_list_tell_the_namesakes_apart(client, engine):
    with db(engine) as session:
        namesakes(session)
        suggested = session.scalars(select(Tandem.public_id).where(Tandem.status == "suggested"))
        ids = list(suggested)
    login(client, "alice@example.org")
    token = csrf_token(client, "/coordinator/regions/kassel/suggestions")
    cards = html(client.get("/coordinator/regions/kassel/suggestions?lang=de"))
    on_cards = names_in(cards, ".suggestion h3 a[data-person]")
    assert sorted(on_cards) == sorted(
        [
            "Ingrid Weber (kassel-town)",
            "Iryna Haddad (kassel-town)",
            "Ingrid Weber (Baunatal)",
            "Iryna Haddad (Baunatal)",
        ]
    )
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "tandem": ids, "region": "kassel"},
    )
    assert response.status_code == 200
    lines = [li.get_text(" ", strip=True) for li in html(response).select("li[data-suggestion]")]
    assert len(lines) == 2
    assert any("Ingrid Weber (Baunatal) und Iryna Haddad (Baunatal)" in line for line in lines)
    assert any(
        "Ingrid Weber (kassel-town) und Iryna Haddad (kassel-town)" in line for line in lines
    )

    with db(engine) as session:  # both said yes (the list shows tandems that started)
        for tandem in session.scalars(select(Tandem).where(Tandem.public_id.in_(ids))):  # type: ignore[attr-defined]
            tandem.status = "active"
    tandems = html(client.get("/coordinator/tandems?status=active&lang=de"))
    rows = [names_in(row) for row in tandems.select("tr[data-tandem]")]
    assert sorted(rows) == [
        ["Ingrid Weber (Baunatal)", "Iryna Haddad (Baunatal)"],
        ["Ingrid Weber (kassel-town)", "Iryna Haddad (kassel-town)"],
    ]


# --- pairing by hand, by typing ----------------------------------------------------------------

NEW_PAIR = "/coordinator/regions/kassel/pairs/new"


def test_pair_by_hand_finds_people_by_typing_in_the_region_only(client, engine):
    with db(engine) as session:
        people = {key: p.public_id for key, p in namesakes(session).items()}
    login(client, "alice@example.org")
    page = html(client.get(NEW_PAIR, params={"local_q": "weber", "newcomer_q": "IRYNA"}))
    newcomers = page.select("input[name=newcomer][type=radio]")
    assert {r["value"] for r in newcomers} == {people["iryna_k"], people["iryna_b"]}
    labels = sorted(
        page.select_one(f"label[for={r['id']}]").get_text(strip=True) for r in newcomers
    )
    assert labels == ["Iryna Haddad (Baunatal)", "Iryna Haddad (kassel-town)"]
    assert not any(r.has_attr("checked") for r in newcomers)  # two found: the coordinator picks
    # A town finds its people too; nobody of Göttingen, whatever is typed.
    page = html(client.get(NEW_PAIR, params={"newcomer_q": "baunatal"}))
    found = {r["value"] for r in page.select("input[name=newcomer][type=radio]")}
    assert found == {people["iryna_b"], people["yasmin_h"]}
    page = html(client.get(NEW_PAIR, params={"newcomer_q": people["iryna_g"]}))
    assert page.select("input[name=newcomer][type=radio]") == []
    assert page.select_one("[data-none=newcomer]") is not None
    # Pairing the picked two works as before.
    token = csrf_token(client, NEW_PAIR)
    response = client.post(
        NEW_PAIR,
        data={"_csrf_token": token, "local": people["ingrid_b"], "newcomer": people["yasmin_h"]},
        follow_redirects=False,
    )
    assert response.status_code in (200, 303)
    # Someone of another region, posted by hand, is refused (404), never paired.
    response = client.post(
        NEW_PAIR,
        data={"_csrf_token": token, "local": people["ingrid_b"], "newcomer": people["iryna_g"]},
        follow_redirects=False,
    )
    assert response.status_code == 404


# --- the participant list's filters, sorting and page size -------------------------------------


def filter_world(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Kassel: Amal (Arabic native, waiting since 2026-01-01, needs paperwork, kassel-town),
    Bilal (Arabic A2, waiting since 2026-11-20, Baunatal), Clara (local, vetted, offers
    paperwork, Baunatal), Dieter (local, not vetted)."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        baunatal = add_place(session, kassel, "Baunatal")
        people = {
            "amal": make_newcomer(session, kassel, first_name="Amal",
                                  waiting_since=date(2026, 1, 1), languages={"ar": "native"},
                                  help_topics=["paperwork"]),
            "bilal": make_newcomer(session, kassel, first_name="Bilal", place_id=baunatal.id,
                                   waiting_since=date(2026, 11, 20), languages={"ar": "A2"}),
            "clara": make_local(session, kassel, first_name="Clara", place_id=baunatal.id,
                                help_topics=["paperwork", "job"]),
            "dieter": make_local(session, kassel, first_name="Dieter"),
        }  # fmt: skip
        session.add(
            Vetting(
                local_id=people["clara"].id,
                certificate_date=date(2026, 1, 1),
                seen_on=date(2026, 2, 1),
            )
        )
        return {key: p.public_id for key, p in people.items()} | {"baunatal": str(baunatal.id)}


def listed(client, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(LIST, params={"lang": "de", **params})
    assert response.status_code == 200, response.text
    page = html(response)
    return [
        row.select_one("a[data-person]").get_text(strip=True)
        for row in page.select("tr[data-participant]")
    ]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"language": "ar"}, ["Amal", "Bilal"]),
        ({"language": "ar", "level": "B1"}, ["Amal"]),  # native counts as at least B1
        ({"waiting": "30"}, ["Amal"]),
        ({"vetted": "yes"}, ["Clara"]),
        ({"vetted": "no"}, ["Dieter"]),
        ({"topic": "paperwork"}, ["Amal", "Clara"]),
        ({"place": "baunatal"}, ["Bilal", "Clara"]),
        ({"role": "local", "topic": "job"}, ["Clara"]),
        ({"sort": "name"}, ["Amal", "Bilal", "Clara", "Dieter"]),
        ({"sort": "-name"}, ["Dieter", "Clara", "Bilal", "Amal"]),
        ({"sort": "town", "role": "newcomer"}, ["Bilal", "Amal"]),  # Baunatal < kassel-town
        ({"sort": "waiting", "role": "newcomer"}, ["Amal", "Bilal"]),  # longest waiting first
    ],
)
def test_the_filters_and_the_sort_find_the_right_people(client, engine, params, names):
    w = filter_world(engine)
    if params.get("place") == "baunatal":
        params = {**params, "place": w["baunatal"]}
    login(client, "alice@example.org")
    import time_machine

    with time_machine.travel(date(2026, 12, 3), tick=False):
        shown = listed(client, **params)
    if "sort" in params:
        assert shown == names
    else:
        assert sorted(shown) == names


def test_the_standing_sort_puts_the_waiting_first(client, engine):
    w = filter_world(engine)
    with db(engine) as session:
        ids = {p.public_id: p.id for p in session.scalars(select(Participant))}
        session.add(
            Tandem(local_id=ids[w["clara"]], newcomer_id=ids[w["bilal"]], region_id=1,
                   status="active")
        )  # fmt: skip
    login(client, "alice@example.org")
    shown = listed(client, sort="standing")
    assert set(shown[:2]) == {"Amal", "Dieter"} and set(shown[2:]) == {"Bilal", "Clara"}
    shown = listed(client, sort="-standing")
    assert set(shown[:2]) == {"Bilal", "Clara"}


def test_filters_sort_and_page_size_stay_in_the_links(client, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        for n in range(30):
            make_newcomer(session, kassel, first_name=f"Nina{n:02d}")
    login(client, "alice@example.org")
    page = html(client.get(LIST, params={"role": "newcomer", "sort": "-name", "size": "25"}))
    assert len(page.select("tr[data-participant]")) == 25
    following = page.select_one("a[rel=next]")["href"]
    assert "role=newcomer" in following and "sort=-name" in following and "size=25" in following
    assert "page=2" in following
    second = html(client.get(LIST + following))
    assert len(second.select("tr[data-participant]")) == 5
    assert second.select_one("#f-size option[selected]").get_text(strip=True) == "25"
    # The column headers sort, keeping the filters; the sorted one says so.
    header = page.select_one("a[data-sort=name]")
    assert "role=newcomer" in header["href"] and "sort=name" in header["href"]
    assert header.find_parent("th")["aria-sort"] == "descending"


@pytest.mark.parametrize(
    "params",
    [
        {"role": "admin"},
        {"language": "klingon"},
        {"level": "Z9"},
        {"waiting": "-3"},
        {"waiting": "many"},
        {"vetted": "maybe"},
        {"topic": "<script>"},
        {"sort": "password"},
        {"size": "100000"},
        {"place": "999999"},
    ],
)
def test_a_bad_value_is_named_and_ignored_never_a_500(client, engine, params):
    filter_world(engine)
    login(client, "alice@example.org")
    response = client.get(LIST, params={"lang": "de", "role": "local", **params})
    assert response.status_code == 400
    page = html(response)
    notes = page.select(".error[role=alert] li")
    assert len(notes) == 1 and notes[0].get_text(strip=True)
    assert "<script>" not in response.text
    # The other filters still apply: the locals (or everybody, when the role was bad).
    assert len(page.select("tr[data-participant]")) in (2, 4)


# --- the search stays up to date; its statements are pinned ------------------------------------


def test_a_changed_name_is_found_by_the_new_name_only(client, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        person = make_newcomer(session, kassel, first_name="Zofia", last_name="Nowak")
        public_id = person.public_id
    with db(engine) as session:
        person = session.scalars(
            select(Participant).where(Participant.public_id == public_id)
        ).one()
        assert person.search_text.startswith("zofia nowak ")
        person.last_name = "Wiśniewska"
        session.add(person)
    login(client, "alice@example.org")

    def found(query: str) -> list[str]:
        page = html(client.get("/coordinator/search", params={"q": query}))
        return [row["data-participant"] for row in page.select("tr[data-participant]")]

    assert found("wisniew") == [public_id]
    assert found("nowak") == []


SEARCH_QUERIES = 7  # session, coordinator, regions, towns, people, their places, standings


def test_the_search_and_the_filtered_list_have_a_fixed_number_of_statements(client, engine):
    with db(engine) as session:
        namesakes(session)
    login(client, "alice@example.org")
    counts = []
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN") and "store_entry" not in statement:
            if "outbox_message" not in statement:
                statements.append(statement)

    for path in (
        "/coordinator/search?q=haddad",
        "/coordinator/search?q=y",
        LIST + "?language=ar&level=A1&sort=standing",
    ):
        statements.clear()
        engine_ = client.app.state.engine
        event.listen(engine_, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine_, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts == [SEARCH_QUERIES, SEARCH_QUERIES, 10]
