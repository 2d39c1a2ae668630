"""The matching pages: regions, run matching, the run's status, unmatched newcomers, gaps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_participant,
    make_region,
)
from tests.worlds import two_regions
from web.core.models import MatchingRun, Region, Tandem, utcnow
from web.core.queue import huey
from web.runs.runs import ENGINE_ERROR, HEARTBEAT_LOST, STALE_ERROR


def world(engine):  # type: ignore[no-untyped-def]
    """Alice serves Kassel (two locals, three waiting newcomers, Hamid speaks only Arabic),
    Bob serves Göttingen (one local, one newcomer), Ada is an admin."""
    today = date.today()  # noqa: DTZ011 (the pages count days in local days)
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        for name in ("Lena", "Jonas"):
            make_participant(session, kassel, role="local", first_name=name)
        for name in ("Nour", "Sami"):
            make_participant(session, kassel, first_name=name, waiting_since=today)
        make_participant(
            session,
            kassel,
            first_name="Hamid",
            languages={"ar": "native"},
            slots=["mon_morning"],
            waiting_since=today - timedelta(days=94),
        )
        make_participant(session, kassel, first_name="Paula", status="pending")
        make_participant(session, goettingen, role="local", first_name="Greta")
        make_participant(session, goettingen, first_name="Omar")


def run_matching(client, slug="kassel", **kwargs):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/regions")
    return client.post(
        f"/coordinator/regions/{slug}/match",
        data={"_csrf_token": token},
        follow_redirects=False,
        **kwargs,
    )


def region_id(engine, slug):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(select(Region.id).where(Region.slug == slug)).one()


def add_run(engine, slug, **values):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        run = MatchingRun(region_id=region_id(engine, slug), **values)
        session.add(run)
        session.flush()
        return run.id


def runs_of(engine, slug):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(
                select(MatchingRun)
                .where(MatchingRun.region_id == region_id(engine, slug))
                .order_by(MatchingRun.id)
            )
        )


# --- regions ------------------------------------------------------------------------------------


def test_the_regions_page_requires_login(client):
    response = client.get("/coordinator/regions", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=")


def test_a_coordinator_sees_their_regions_with_counts(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"  # the assertions read English text
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/regions"))
    rows = page.select("tr[data-region]")
    assert [row["data-region"] for row in rows] == ["kassel"]
    counts = {cell["data-count"]: int(cell.text) for cell in rows[0].select("td[data-count]")}
    assert counts == {"locals": 2, "newcomers": 3, "waiting": 3, "suggestions": 0}
    assert rows[0].select_one("td[data-run-status]").text.strip() == "never"
    form = rows[0].find("form")
    assert form["method"] == "post" and form["action"] == "/coordinator/regions/kassel/match"
    assert form.find("input", attrs={"name": "_csrf_token"}) is not None


def test_an_admin_sees_every_region(client, engine):
    world(engine)
    login(client, "ada@example.org")
    rows = html(client.get("/coordinator/regions")).select("tr[data-region]")
    assert sorted(row["data-region"] for row in rows) == ["goettingen", "kassel"]


def test_the_regions_page_takes_the_same_queries_for_more_regions(client, engine):
    world(engine)
    login(client, "ada@example.org")
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        # The session store and the background mail sender share the engine.
        if "store_entry" not in statement and "outbox_message" not in statement:
            statements.append(statement)

    event.listen(client.app.state.engine, "before_cursor_execute", count)
    try:
        client.get("/coordinator/regions")
        two_regions = len(statements)
        with db(engine) as session:
            for n in range(3):
                make_region(session, f"extra{n}")
        statements.clear()
        client.get("/coordinator/regions")
        five_regions = len(statements)
    finally:
        event.remove(client.app.state.engine, "before_cursor_execute", count)
    assert two_regions == five_regions


# --- running ------------------------------------------------------------------------------------


def test_it_runs_matching_and_shows_the_numbers(client, engine):
    world(engine)
    login(client, "alice@example.org")
    response = run_matching(client)
    assert response.status_code == 303
    (run,) = runs_of(engine, "kassel")
    assert response.headers["location"] == f"/coordinator/runs/{run.id}"
    # The test client returns after the background work; a server returns at once.
    assert run.status == "done"
    page = html(client.get(f"/coordinator/runs/{run.id}"))
    assert page.select_one("#run-status")["data-status"] == "done"
    assert page.find("meta", attrs={"http-equiv": "refresh"}) is None
    numbers = {tag["data-number"]: tag.text for tag in page.select("[data-number]")}
    assert numbers["pairs"] == "2" and numbers["unmatched"] == "1"
    # German decimals: "0,5", not the program's "0.5".
    assert "," in numbers["seconds"] and "." not in numbers["seconds"]
    assert float(numbers["seconds"].replace(",", ".")) >= 0
    # What the run achieved, in words (issue 15 §3): no bare total score.
    assert "total_score" not in numbers and "Gesamtwert" not in page.get_text()
    summary = page.select_one("#run-summary")
    pairs = summary.select_one('[data-summary="pairs"]').get_text(strip=True)
    assert pairs == "Diese Runde schlägt 2 Paare vor, über die Sie entscheiden."
    waiting = summary.select_one('[data-summary="waiting"]').get_text(strip=True)
    assert waiting == "1 neuzugewanderte Person wartet noch auf eine*n Tandempartner*in:"
    # Hamid speaks only Arabic: no common language at the minimum level.
    [reason] = summary.select("li[data-reason]")
    assert reason["data-reason"] == "language"
    assert reason.get_text(strip=True) == "1 – keine gemeinsame Sprache auf dem Mindestniveau"
    links = {a["href"] for a in page.find_all("a")}
    assert {
        "/coordinator/regions/kassel/suggestions",
        "/coordinator/regions/kassel/unmatched",
        "/coordinator/regions/kassel/gaps",
    } <= links
    with db(engine) as session:
        stored = session.scalar(
            select(func.count()).select_from(Tandem).where(Tandem.status == "suggested")
        )
    assert stored == 2
    row = html(client.get("/coordinator/regions")).select_one("tr[data-region=kassel]")
    assert row.select_one("td[data-count=suggestions]").text == "2"
    assert row.select_one("td[data-run-status]")["data-run-status"] == "done"


def test_the_click_queues_the_run_for_a_worker_and_the_page_says_queued(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"  # the assertions read English text
    login(client, "alice@example.org")
    huey.immediate = False  # a real queue (in memory): nothing runs in this process
    try:
        assert run_matching(client).status_code == 303
        assert huey.pending_count() == 1
        (run,) = runs_of(engine, "kassel")
        assert (run.status, run.stats["stage"]) == ("running", "queued")
        page = html(client.get(f"/coordinator/runs/{run.id}"))
        assert page.select_one("#run-status")["data-status"] == "queued"
        assert "Queued" in page.select_one("#run-status").text
    finally:
        huey.flush()
        huey.immediate = True


def test_a_running_run_shows_how_long_it_has_been_running(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"
    run_id = add_run(
        engine,
        "kassel",
        stats={"stage": "solving"},
        started_at=utcnow() - timedelta(minutes=3, seconds=5),
        heartbeat_at=utcnow(),
    )
    login(client, "alice@example.org")
    status = html(client.get(f"/coordinator/runs/{run_id}")).select_one("#run-status")
    assert status["data-status"] == "running"
    assert "In progress" in status.text and "for 3 minutes" in status.text


def test_a_run_whose_worker_died_shows_failed_and_can_be_started_again(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"
    dead = add_run(
        engine,
        "kassel",
        stats={"stage": "solving"},
        heartbeat_at=utcnow() - HEARTBEAT_LOST - timedelta(seconds=1),
    )
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/runs/{dead}"))
    assert page.select_one("#run-status")["data-status"] == "failed"
    error = page.select_one("#run-error")
    assert error["data-reason"] == STALE_ERROR
    assert "stopped (restarted or crashed)" in error.text
    assert "worker_lost" not in error.text
    # The button on the page starts a new run (the stale one is marked failed first).
    response = client.post(
        page.select_one("form[action$='/match']")["action"],
        data={"_csrf_token": csrf_token(client, f"/coordinator/runs/{dead}")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    runs = runs_of(engine, "kassel")
    assert [(run.id, run.status) for run in runs][0] == (dead, "failed")
    assert runs[-1].status == "done"


def test_the_run_page_refreshes_itself_while_running(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"  # the assertions read English text
    run_id = add_run(engine, "kassel", stats={"stage": "solving", "locals": 2, "newcomers": 3})
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/runs/{run_id}"))
    refresh = page.find("meta", attrs={"http-equiv": "refresh"})
    assert refresh is not None and refresh["content"] == "2"
    progress = page.select_one("#run-progress")
    assert progress["data-stage"] == "solving"
    assert "2 locals and 3 newcomers" in progress.text


def test_a_failed_run_says_so(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"
    run_id = add_run(engine, "kassel", status="failed", error=ENGINE_ERROR, finished_at=utcnow())
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/runs/{run_id}"))
    assert page.find("meta", attrs={"http-equiv": "refresh"}) is None
    error = page.select_one("#run-error").text
    assert "The matching engine failed" in error and ENGINE_ERROR not in error


def test_a_second_run_while_one_runs_is_refused_with_a_message(client, engine):
    world(engine)
    client.headers["accept-language"] = "en"  # the assertions read English text
    running = add_run(engine, "kassel", stats={"stage": "solving"})
    login(client, "alice@example.org")
    response = run_matching(client)
    assert response.status_code == 409
    alert = html(response).select_one("#busy")
    assert "already running" in alert.text
    assert alert.find("a")["href"] == f"/coordinator/runs/{running}"
    assert [run.id for run in runs_of(engine, "kassel")] == [running]


def test_the_message_is_translated(client, engine):
    world(engine)
    add_run(engine, "kassel")
    login(client, "alice@example.org")
    response = run_matching(client, headers={"accept-language": "en"})
    assert response.status_code == 409
    assert html(response).find("html")["lang"] == "en"


# --- unmatched and gaps -------------------------------------------------------------------------


def test_before_any_run_the_views_say_so(client, engine):
    world(engine)
    login(client, "alice@example.org")
    for view in ("unmatched", "gaps"):
        page = html(client.get(f"/coordinator/regions/kassel/{view}"))
        assert page.select_one("#no-run") is not None


def test_the_unmatched_view_lists_every_waiting_newcomer_without_a_suggestion(client, engine):
    world(engine)
    login(client, "alice@example.org")
    run_matching(client)
    page = html(
        client.get("/coordinator/regions/kassel/unmatched", headers={"accept-language": "en"})
    )
    rows = page.select("tr[data-participant]")
    assert len(rows) == 1
    cells = [cell.text.strip() for cell in rows[0].find_all("td")]
    assert cells[0] == "Hamid (kassel-town)"
    assert rows[0].select_one("a[data-person]")["href"].startswith("/coordinator/participants/")
    assert cells[1] == "kassel-town"
    assert cells[2] == "94"
    assert cells[3] == "Arabic First language"
    assert cells[4] == "no common language at the minimum level"
    assert rows[0]["data-blocked-by"] == "language"
    assert page.select_one("#per-rule").text.split() == [
        "1",
        "×",
        *"no common language at the minimum level".split(),
    ]


def test_the_gaps_view_rolls_up_whom_to_recruit(client, engine):
    world(engine)
    login(client, "alice@example.org")
    run_matching(client)
    page = html(client.get("/coordinator/regions/kassel/gaps", headers={"accept-language": "en"}))
    # By language: Hamid speaks only Arabic; by place: he waits in the town where both
    # locals have their one place taken by the run's suggestions.
    (language,) = page.select("#gaps-by-language tr[data-language]")
    cells = [" ".join(cell.text.split()) for cell in language.find_all(["th", "td"])]
    assert cells == ["Arabic", "1", "kassel-town (1)"]
    assert " ".join(page.select_one("#most-needed").text.split()) == "Arabic (1)"
    (town,) = page.select("#gaps-by-place tr[data-area]")
    cells = [" ".join(cell.text.split()) for cell in town.find_all(["th", "td"])]
    assert cells == ["kassel-town", "1", "0", "Arabic (1)", "Monday Morning (1)"]


def test_the_gaps_view_speaks_german(client, engine):
    world(engine)
    login(client, "alice@example.org")
    run_matching(client)
    page = html(client.get("/coordinator/regions/kassel/gaps", headers={"accept-language": "de"}))
    assert page.find("html")["lang"] == "de"
    assert page.select("tr[data-area]")
    assert page.select_one("#gaps-by-language th[scope=row]").text == "Arabisch"


# --- strangers see nothing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/coordinator/regions/goettingen/unmatched",
        "/coordinator/regions/goettingen/gaps",
        "/coordinator/regions/nowhere/unmatched",
        "/coordinator/regions/nowhere/gaps",
        "/coordinator/runs/999999",
    ],
)
def test_another_regions_pages_are_not_found(client, engine, path):
    world(engine)
    login(client, "alice@example.org")
    assert client.get(path).status_code == 404


def test_another_regions_run_is_not_found(client, engine):
    world(engine)
    run_id = add_run(engine, "goettingen", status="done", finished_at=utcnow())
    login(client, "alice@example.org")
    assert client.get(f"/coordinator/runs/{run_id}").status_code == 404
    login(client, "bob@example.org")
    assert client.get(f"/coordinator/runs/{run_id}").status_code == 200


@pytest.mark.parametrize("slug", ["goettingen", "nowhere"])
def test_matching_cannot_be_run_for_another_region(client, engine, slug):
    world(engine)
    login(client, "alice@example.org")
    assert run_matching(client, slug).status_code == 404
    assert runs_of(engine, "goettingen") == []


def test_an_admin_can_run_any_region(client, engine):
    world(engine)
    login(client, "ada@example.org")
    assert run_matching(client, "goettingen").status_code == 303
    assert [run.status for run in runs_of(engine, "goettingen")] == ["done"]


def test_running_matching_needs_the_csrf_token(client, engine):
    world(engine)
    login(client, "alice@example.org")
    response = client.post("/coordinator/regions/kassel/match", follow_redirects=False)
    assert response.status_code == 403
    assert runs_of(engine, "kassel") == []
