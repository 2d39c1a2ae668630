"""The suggestions page: cards with reasons and scores, filters and order, what it costs,
and that a coordinator of another region finds nothing."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_local,
    make_newcomer,
    make_region,
    make_suggestion,
)
from tests.worlds import one_suggestion_each, three_suggestions
from web.core.models import PairRule, Participant, Region, Tandem

SUGGESTIONS = "/coordinator/regions/kassel/suggestions"


def cards(response) -> list:  # type: ignore[no-untyped-def]
    return html(response).select("li[data-suggestion]")


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [card["data-suggestion"] for card in cards(response)]


def test_a_card_shows_both_people_the_score_and_the_reasons(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")
    page = client.get(SUGGESTIONS + "?lang=en")
    assert page.status_code == 200
    card = html(page).select_one(f'[data-suggestion="{ids["very_good"]}"]')
    newcomer = card.select_one('[data-role="newcomer"]')
    local = card.select_one('[data-role="local"]')
    assert "Nour" in newcomer.h3.text and "Lena" in local.h3.text
    assert newcomer.select_one(".place").text == "kassel-town"
    assert [s.text for s in newcomer.select(".lang")] == ["Arabic First language", "English B2"]
    assert "waiting" in newcomer.select_one(".waiting").text
    assert card.select_one(".score-words").text == "very good"
    meter = card.select_one("meter")
    assert float(meter["value"]) == pytest.approx(0.81) and meter["max"] == "1"
    reasons = [li.text for li in card.select(".reasons li")]
    assert reasons == [
        "Both speak English at level B2 or better",
        "Nour wants to practise German, which Lena speaks",
        "Both like Football and Cooking",
        "Both have time on Tuesday Evening and Saturday Morning",
        "4.0 km apart",
        "94 days waiting",
    ]
    components = {div.dt.text: div.dd.text for div in card.select(".components dl div")}
    assert components["Help that fits"] == "100 %" and components["Shared interests"] == "33 %"
    words = {card["data-suggestion"]: card.select_one(".score-words").text for card in cards(page)}
    assert words == {ids["very_good"]: "very good", ids["good"]: "good", ids["fair"]: "fair"}


def test_the_page_speaks_the_coordinators_language(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")

    def page_in(locale: str):  # type: ignore[no-untyped-def]
        page = html(client.get(f"{SUGGESTIONS}?lang={locale}"))
        card = page.select_one(f'[data-suggestion="{ids["very_good"]}"]')
        return page, [li.text for li in card.select(".reasons li")], card

    english, english_reasons, _ = page_in("en")
    german, german_reasons, card = page_in("de")
    assert english.html["lang"] == "en" and german.html["lang"] == "de"
    assert english_reasons[0] == "Both speak English at level B2 or better"
    assert german_reasons[0] == "Beide sprechen Englisch auf Niveau B2 oder besser"
    assert german_reasons[2] == "Beide mögen: Fußball und Kochen"
    assert german_reasons[-1] == "94 Tage wartend"
    assert card.select_one(".score-words").text == "sehr gut"
    # Nothing of the English page is left on the German one.
    assert not set(english_reasons) & set(german_reasons)


def test_it_sorts_by_score_or_by_waiting_time(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")
    by_score = shown(client.get(SUGGESTIONS))
    assert by_score == [ids["very_good"], ids["good"], ids["fair"]]
    by_waiting = shown(client.get(SUGGESTIONS + "?sort=waiting"))
    assert by_waiting == [ids["good"], ids["very_good"], ids["fair"]]  # never waited: last


def test_it_filters_by_score_place_and_language(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")
    assert shown(client.get(SUGGESTIONS + "?min_score=0.75")) == [ids["very_good"]]
    assert shown(client.get(SUGGESTIONS + "?min_score=0.5")) == [ids["very_good"], ids["good"]]
    assert shown(client.get(SUGGESTIONS + f"?place={ids['village']}")) == [ids["good"]]
    assert shown(client.get(SUGGESTIONS + "?language=ru")) == [ids["good"]]
    both = client.get(SUGGESTIONS + "?language=ar&min_score=0.5&sort=waiting")
    assert shown(both) == [ids["very_good"]]
    page = html(both)
    assert page.select_one("#f-language option[selected]")["value"] == "ar"
    assert page.select_one("#f-sort option[selected]")["value"] == "waiting"
    # The decisions on this page come back to the same filters.
    back = page.select_one(f'[data-suggestion="{ids["very_good"]}"] input[name=back]')["value"]
    assert set(back.split("&")) == {"language=ar", "min_score=0.5", "sort=waiting"}


def test_odd_filter_values_are_ignored(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")
    odd = client.get(SUGGESTIONS + "?place=abc&min_score=2&language=xx&sort=name&flash=<b>")
    assert odd.status_code == 200
    # No filter applies (min_score=2 would hide everything) and the order is the default one.
    assert shown(odd) == [ids["very_good"], ids["good"], ids["fair"]]
    page = html(odd)
    assert page.select_one(".flash") is None and "<b>" not in odd.text
    for unset in ("#f-place", "#f-min_score", "#f-language"):
        assert page.select_one(f"{unset} option[selected]") is None, unset
    assert page.select_one("#f-sort option[selected]")["value"] == "score"


def test_an_empty_region_says_how_to_get_suggestions(client, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
    login(client, "alice@example.org")
    page = html(client.get(SUGGESTIONS))
    assert page.select_one("li.empty") is not None
    assert page.select_one("form#bulk") is None


def test_every_card_can_be_selected_for_confirming_together(client, engine):
    ids = three_suggestions(engine)
    login(client, "alice@example.org")
    page = html(client.get(SUGGESTIONS))
    boxes = page.select("input[type=checkbox][form=bulk][name=tandem]")
    assert {box["value"] for box in boxes} == {ids["very_good"], ids["good"], ids["fair"]}
    assert page.select_one("form#bulk")["action"] == "/coordinator/suggestions/confirm"


def test_it_pages_through_many_suggestions_keeping_the_filters(client, engine, monkeypatch):
    ids = three_suggestions(engine)
    monkeypatch.setattr("web.suggestions.cards.PAGE_SIZE", 2)
    login(client, "alice@example.org")
    first = client.get(SUGGESTIONS + "?sort=waiting")
    assert shown(first) == [ids["good"], ids["very_good"]]
    following = html(first).find("a", rel="next")["href"]
    assert set(following.lstrip("?").split("&")) == {"sort=waiting", "page=2"}
    second = client.get(SUGGESTIONS + following)
    assert shown(second) == [ids["fair"]]
    assert html(second).find("a", rel="next") is None
    assert html(second).find("a", rel="prev") is not None
    back = html(second).select_one("input[name=back]")["value"]
    assert set(back.split("&")) == {"sort=waiting", "page=2"}
    assert shown(client.get(SUGGESTIONS + "?sort=waiting&page=99")) == [ids["fair"]]


def test_confirming_nothing_selected_says_so(client, engine):
    three_suggestions(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS + "?lang=en")
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "region": "kassel", "back": "sort=waiting"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == SUGGESTIONS + "?sort=waiting&flash=none_selected"
    page = html(client.get(response.headers["location"]))
    assert page.select_one(".flash").text == "Please tick at least one suggestion first."


@pytest.mark.parametrize("path", [SUGGESTIONS, "/coordinator/regions/kassel/pairs/new"])
def test_the_pages_render_right_to_left(client, engine, path):
    three_suggestions(engine)
    login(client, "alice@example.org")
    response = client.get(path + "?lang=ar")
    assert response.status_code == 200
    assert html(response).html["dir"] == "rtl"


# --- query count ---------------------------------------------------------------------------------


@contextmanager
def counted(engine):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is no query
            return
        # The session store and the background mail sender share the engine.
        if "store_entry" not in statement and "outbox_message" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def region_with(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        for _ in range(n):
            make_suggestion(
                session, kassel, make_local(session, kassel), make_newcomer(session, kassel)
            )
        pair = session.scalars(select(Tandem)).first()
        session.add(
            PairRule(
                region_id=kassel.id,
                local_id=pair.local_id,
                newcomer_id=pair.newcomer_id,
                kind="pin",
            )
        )


# The coordinator (1), the region and the coordinator's regions (2), the suggestions
# passing the filters (1: a count), one page of them with both people and places (1),
# their languages (1), pair rules (1), all the region's suggestions (1: a count), the
# places for the filter (1). The session store's queries are not counted.
PAGE_QUERIES = 9


@pytest.mark.parametrize("n", [5, 50])
def test_the_page_costs_the_same_number_of_queries_for_any_number_of_cards(client, engine, n):
    region_with(engine, n)
    login(client, "alice@example.org")
    client.get(SUGGESTIONS)  # warm up: the language cookie, the session's last-seen time
    with counted(client.app.state.engine) as statements:
        page = client.get(SUGGESTIONS)
    assert len(cards(page)) == n
    assert len(statements) == PAGE_QUERIES, "\n".join(statements)


# --- a coordinator of another region finds nothing -----------------------------------------------


def test_another_regions_suggestions_are_not_listed(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    assert shown(client.get(SUGGESTIONS)) == [ids["ours"]]


def test_an_admin_sees_every_regions_suggestions(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "ada@example.org")
    assert shown(client.get(SUGGESTIONS)) == [ids["ours"]]
    assert shown(client.get("/coordinator/regions/goettingen/suggestions")) == [ids["theirs"]]


def foreign_requests(ids: dict[str, str]) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """Every route of this area, aimed at Göttingen's region, suggestion or people."""
    bobs_pair = {"local": ids["jonas"], "newcomer": ids["olena"]}
    mixed_pair = {"local": ids["lena"], "newcomer": ids["olena"]}
    requests: list[tuple[str, str, dict]] = [  # type: ignore[type-arg]
        ("GET", "/coordinator/regions/goettingen/suggestions", {}),
        ("GET", "/coordinator/regions/goettingen/pairs/new", {}),
        ("POST", "/coordinator/regions/goettingen/pairs/new", bobs_pair),
        ("POST", "/coordinator/regions/kassel/pairs/new", bobs_pair),
        ("POST", "/coordinator/regions/kassel/pairs/new", mixed_pair),
        ("POST", f"/coordinator/suggestions/{ids['theirs']}/confirm", {}),
        ("POST", f"/coordinator/suggestions/{ids['theirs']}/reject", {"reason": "other"}),
        ("POST", "/coordinator/suggestions/confirm", {"tandem": ids["theirs"]}),
        ("POST", "/coordinator/suggestions/confirm", {"region": "goettingen"}),
    ]
    for action in ("pin", "forbid", "unpin", "unforbid"):
        requests += [
            ("POST", f"/coordinator/regions/goettingen/pairs/{action}", bobs_pair),
            ("POST", f"/coordinator/regions/kassel/pairs/{action}", bobs_pair),
            ("POST", f"/coordinator/regions/kassel/pairs/{action}", mixed_pair),
        ]
    return requests


def test_alice_gets_404_for_everything_of_goettingen(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS)
    for method, path, data in foreign_requests(ids):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={"_csrf_token": token, **data})
        assert response.status_code == 404, (method, path, data)
    with db(engine) as session:
        theirs = session.scalars(select(Tandem).where(Tandem.public_id == ids["theirs"])).one()
        assert theirs.status == "suggested" and theirs.decided_at is None
        assert session.scalars(select(PairRule)).all() == []
        assert session.scalars(select(Tandem).where(Tandem.manual)).all() == []
        assert {p.open_tandems for p in session.scalars(select(Participant))} == {0}


def test_a_bulk_confirm_with_a_foreign_id_confirms_only_her_own(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS)
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "tandem": [ids["ours"], ids["theirs"], "0" * 32]},
    )
    assert response.status_code == 200
    page = html(response)
    assert [li["data-suggestion"] for li in page.select("[data-suggestion]")] == [ids["ours"]]
    assert page.select_one('[data-result="missing"]') is not None  # foreign and gone alike
    assert "Olena" not in page.text and "Jonas" not in page.text
    with db(engine) as session:
        theirs = session.scalars(select(Tandem).where(Tandem.public_id == ids["theirs"])).one()
        assert theirs.status == "suggested"


def test_bob_can_still_decide_in_his_own_region(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "bob@example.org")
    page = "/coordinator/regions/goettingen/suggestions"
    token = csrf_token(client, page)
    response = client.post(
        f"/coordinator/suggestions/{ids['theirs']}/confirm",
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with db(engine) as session:
        region = session.scalars(select(Region).where(Region.slug == "goettingen")).one()
        assert session.scalars(
            select(Tandem.status).where(Tandem.region_id == region.id)
        ).all() == ["proposed"]
