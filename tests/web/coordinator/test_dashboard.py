from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
)
from tests.worlds import STATUS_MIX, region_of_300, two_regions
from web.core.models import CheckIn, ProblemReport, Tandem

# The session store, the coordinator, their regions and one query per list (9: issue 15 §5
# added "put them in touch" and the urgent reports).
DASHBOARD_QUERIES = 12  # the page's own statements (one for issue 16's contact tasks), any data


def world(engine):  # type: ignore[no-untyped-def]
    """Alice serves Kassel, Bob serves Göttingen, Ada is an admin."""
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        in_kassel = {make_participant(session, kassel).public_id for _ in range(3)}
        in_goettingen = {make_participant(session, goettingen).public_id for _ in range(2)}
    return in_kassel, in_goettingen


def listed(client) -> set[str]:  # type: ignore[no-untyped-def]
    rows = html(client.get("/coordinator/participants")).select("tr[data-participant]")
    return {row["data-participant"] for row in rows}


def test_the_dashboard_requires_login(client):
    response = client.get("/coordinator/", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=")


def test_a_coordinator_sees_only_the_participants_of_their_regions(client, engine):
    in_kassel, in_goettingen = world(engine)
    login(client, "alice@example.org")
    assert listed(client) == in_kassel


def test_another_regions_coordinator_sees_the_other_people(client, engine):
    in_kassel, in_goettingen = world(engine)
    login(client, "bob@example.org")
    assert listed(client) == in_goettingen


def test_an_admin_sees_everyone(client, engine):
    in_kassel, in_goettingen = world(engine)
    login(client, "ada@example.org")
    assert listed(client) == in_kassel | in_goettingen


def test_the_dashboard_pages_through_many_participants(client, engine, settings):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        everyone = {
            make_participant(session, kassel).public_id for _ in range(settings.page_size + 5)
        }
    login(client, "alice@example.org")
    first = html(client.get("/coordinator/participants?page=1"))
    second = html(client.get("/coordinator/participants?page=2"))
    first_ids = {row["data-participant"] for row in first.select("tr[data-participant]")}
    second_ids = {row["data-participant"] for row in second.select("tr[data-participant]")}
    assert len(first_ids) == settings.page_size
    assert len(second_ids) == 5
    assert first_ids | second_ids == everyone
    assert first.find("a", rel="next") is not None and second.find("a", rel="next") is None
    # Out-of-range pages clamp instead of failing.
    beyond = html(client.get("/coordinator/participants?page=99"))
    assert {r["data-participant"] for r in beyond.select("tr[data-participant]")} == second_ids


# --- the dashboard: what needs action today ---------------------------------------------------

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _tandem(session, region, status, **values):  # type: ignore[no-untyped-def]
    local = make_participant(session, region, role="local", first_name=values.pop("local"))
    newcomer = make_participant(session, region, first_name=values.pop("newcomer"))
    tandem = Tandem(
        local_id=local.id, newcomer_id=newcomer.id, region_id=region.id, status=status, **values
    )
    session.add(tandem)
    session.flush()
    return tandem


def needs_world(session, region, tag: str, *, extra: int = 0) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One item of every kind in ``region`` (names carry ``tag``), plus things that must not
    show (handled, ended, answered); ``extra`` adds more of everything."""
    ids: dict[str, str] = {}
    for n in range(1 + extra):
        suffix = f"{tag}{n}"
        make_participant(session, region, status="pending", first_name=f"Sign{suffix}")
        waiting = make_participant(
            session,
            region,
            first_name=f"Wait{suffix}",
            waiting_since=NOW.date() - timedelta(days=40 + n),
        )
        ids.setdefault("waiting", waiting.public_id)
        _tandem(session, region, "suggested", local=f"SugL{suffix}", newcomer=f"SugN{suffix}")
        _tandem(
            session,
            region,
            "proposed",
            local=f"PropL{suffix}",
            newcomer=f"PropN{suffix}",
            proposed_at=NOW - timedelta(days=3),
        )
        fit = _tandem(
            session,
            region,
            "active",
            local=f"FitL{suffix}",
            newcomer=f"FitN{suffix}",
            started_at=NOW - timedelta(days=30),
            fit_check_due_at=NOW - timedelta(days=2),
        )
        ids.setdefault("fit", fit.public_id)
        worried = _tandem(
            session,
            region,
            "active",
            local=f"MoodL{suffix}",
            newcomer=f"MoodN{suffix}",
            started_at=NOW - timedelta(days=90),
            fit_checked_at=NOW - timedelta(days=60),
        )
        session.add(
            CheckIn(
                tandem_id=worried.id,
                role="newcomer",
                kind="regular",
                sent_at=NOW - timedelta(days=2),
                answered_at=NOW - timedelta(days=1),
                mood=1,
                needs_attention=True,
            )
        )
        ids.setdefault("checkin", worried.public_id)
        problem = _tandem(
            session,
            region,
            "paused",
            local=f"ProbL{suffix}",
            newcomer=f"ProbN{suffix}",
            started_at=NOW - timedelta(days=90),
            fit_checked_at=NOW - timedelta(days=60),
        )
        session.add(
            ProblemReport(
                tandem_id=problem.id,
                reporter_role="local",
                kind="unreachable",
                created_at=NOW - timedelta(days=1),
            )
        )
        ids.setdefault("problem", problem.public_id)
        # None of these needs anyone: an ended tandem's worrying check-in, a handled report,
        # a fit check already done, a fit check not yet due.
        ended = _tandem(
            session,
            region,
            "ended",
            local=f"EndL{suffix}",
            newcomer=f"EndN{suffix}",
            ended_at=NOW - timedelta(days=5),
            end_reason="no_time",
        )
        session.add(CheckIn(tandem_id=ended.id, role="local", kind="regular", needs_attention=True))
        session.add(
            ProblemReport(
                tandem_id=ended.id,
                reporter_role="newcomer",
                kind="not_ok",
                handled_at=NOW - timedelta(days=1),
            )
        )
        _tandem(
            session,
            region,
            "active",
            local=f"FreshL{suffix}",
            newcomer=f"FreshN{suffix}",
            started_at=NOW - timedelta(days=3),
            fit_check_due_at=NOW + timedelta(days=25),
        )
    return ids


def dashboard_world(engine, *, extra: int = 0):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        return needs_world(session, kassel, "K", extra=extra), needs_world(
            session, goettingen, "G", extra=extra
        )


def _item(li) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A line as (the names of the people it is about, or its link's text; where it leads)."""
    people = [a.get_text(strip=True) for a in li.select("a[data-person]")]
    link = li.select_one("a.action") or li.select_one("a")
    return (" & ".join(people) or link.get_text(strip=True)), link["href"]


def sections(client) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    page = html(client.get("/coordinator/?lang=en"))
    found = {}
    for tile in page.select("[data-tile]"):  # every count is a tile at the top
        key = tile["data-tile"]
        section = page.select_one(f"section[data-section={key}]")  # only lists with items
        found[key] = {
            "count": int(tile.select_one("[data-count]")["data-count"]),
            "items": [_item(li) for li in section.select("li")] if section else [],
            "text": section.get_text(" ", strip=True) if section else "",
        }
        assert (section is None) == (found[key]["count"] == 0), key  # empty lists are folded
    return found


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_lists_what_needs_action_in_alices_region(client, engine):
    kassel, _ = dashboard_world(engine)
    login(client, "alice@example.org")
    board = sections(client)
    assert {key: s["count"] for key, s in board.items()} == {
        "problems": 1,
        "in_touch": 0,
        "checkins": 1,
        "fit_checks": 1,
        "proposals": 1,
        "suggestions": 1,
        "signups": 1,
        # Also waiting: the suggested pair's newcomer (a suggestion is not a tandem yet) and
        # the ended tandem's newcomer.
        "waiting": 3,
    }
    assert board["signups"]["items"] == [("SignK0", "/coordinator/review")]
    waiting_page = f"/coordinator/participants/{kassel['waiting']}"
    assert board["waiting"]["items"][0] == ("WaitK0", waiting_page)
    assert "40 days" in board["waiting"]["text"]
    assert board["suggestions"]["items"] == [
        ("Region kassel", "/coordinator/regions/kassel/suggestions")
    ]
    assert board["proposals"]["items"] == [("PropLK0 & PropNK0", "/coordinator/proposals")]
    assert "3 days" in board["proposals"]["text"]
    assert board["fit_checks"]["items"] == [
        ("FitLK0 & FitNK0", f"/coordinator/tandems/{kassel['fit']}")
    ]
    assert board["checkins"]["items"] == [
        ("MoodLK0 & MoodNK0", f"/coordinator/tandems/{kassel['checkin']}#checkins")
    ]
    assert board["problems"]["items"] == [
        ("ProbLK0 & ProbNK0", f"/coordinator/tandems/{kassel['problem']}#problems")
    ]
    assert "My partner does not answer" in board["problems"]["text"]
    # Nothing of Göttingen's, and nothing that is already dealt with.
    text = " ".join(s["text"] for s in board.values())
    for hidden in ("G0", "EndL", "FreshL"):
        assert hidden not in text


@time_machine.travel(NOW, tick=False)
def test_bob_sees_only_goettingen_and_ada_sees_both(client, engine):
    _, goettingen = dashboard_world(engine)
    login(client, "bob@example.org")
    board = sections(client)
    assert board["problems"]["items"] == [
        ("ProbLG0 & ProbNG0", f"/coordinator/tandems/{goettingen['problem']}#problems")
    ]
    assert "K0" not in " ".join(s["text"] for s in board.values())
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/coordinator/")})
    login(client, "ada@example.org")
    board = sections(client)
    assert board["problems"]["count"] == 2 and board["suggestions"]["count"] == 2
    assert board["waiting"]["count"] == 6


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_shows_five_of_each_and_a_link_to_all(client, engine):
    dashboard_world(engine, extra=6)
    login(client, "alice@example.org")
    board = sections(client)
    assert board["proposals"]["count"] == 7
    assert len(board["proposals"]["items"]) == 5
    assert board["waiting"]["count"] == 21
    # Longest waiting first.
    assert board["waiting"]["items"][0][0] == "WaitK6"
    page = html(client.get("/coordinator/"))
    more = page.select_one('section[data-section="proposals"] a.more')
    assert more["href"] == "/coordinator/proposals"


def _statements_of_one_dashboard(client) -> int:  # type: ignore[no-untyped-def]
    engine = client.app.state.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        # The session store and the background mail sender share the engine; they are
        # not the page's queries. SQLite's BEGIN is no query either.
        if statement.startswith("BEGIN"):
            return
        if "store_entry" not in statement and "outbox_message" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/coordinator/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


@pytest.mark.parametrize("extra", [0, 8])
@time_machine.travel(NOW, tick=False)
def test_the_dashboards_query_count_does_not_grow_with_the_data(client, engine, extra):
    dashboard_world(engine, extra=extra)
    login(client, "alice@example.org")
    assert _statements_of_one_dashboard(client) == DASHBOARD_QUERIES


@time_machine.travel(NOW, tick=False)
def test_a_region_of_300_people_has_the_same_dashboard(client, engine):
    """The size a coordinator really looks after: the page stays one set of queries, and
    its waiting list counts every active newcomer of the 300 (none is in a tandem)."""
    with db(engine) as session:
        region_of_300(session)
    waiting = sum(1 for n in range(300) if n % 3 and STATUS_MIX[n % len(STATUS_MIX)] == "active")
    login(client, "alice@kassel.example")
    assert _statements_of_one_dashboard(client) == DASHBOARD_QUERIES
    board = sections(client)
    assert board["waiting"]["count"] == waiting == 140
    assert len(board["waiting"]["items"]) < waiting  # a short list, and a link to the rest
