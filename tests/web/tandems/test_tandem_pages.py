"""The coordinator's tandems: the list, the tandem page and its actions.

Alice coordinates Kassel (Lena and Nour's tandem), Bob Göttingen (Jonas and
Karim's), Ada is an admin. Bob must learn nothing about Kassel: every route
answers him 404 and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlmodel import Session

from tests.builders import (
    STARTED,
    WAITING_SINCE,
    Pair,
    build_tandem,
    csrf_token,
    db,
    html,
    login,
    reload,
)
from tests.worlds import two_regions
from web.core.models import AuditLog, CheckIn, Event, Note, ProblemReport, Tandem

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english(client) -> None:  # type: ignore[no-untyped-def]
    client.headers["accept-language"] = "en"  # the assertions read English text


@pytest.fixture
def world(engine) -> dict[str, Pair]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        lena_nour = build_tandem(session, kassel)
        jonas_karim = build_tandem(session, goettingen, local_name="Jonas", newcomer_name="Karim")
        suggested = build_tandem(
            session, kassel, status="suggested", local_name="Uwe", newcomer_name="Sami"
        )
        session.add_all(
            [
                CheckIn(
                    tandem_id=lena_nour.tandem_id, role="newcomer", kind="fit_check",
                    sent_at=STARTED + timedelta(days=28), answered_at=STARTED + timedelta(days=30),
                    meetings="rarely", mood=2, note="We met once, then she was busy",
                    needs_attention=True,
                ),
                CheckIn(
                    tandem_id=lena_nour.tandem_id, role="local", kind="fit_check",
                    sent_at=STARTED + timedelta(days=28),
                ),
                ProblemReport(
                    tandem_id=lena_nour.tandem_id, reporter_role="newcomer", kind="unreachable",
                    note="No answer since March", created_at=NOW - timedelta(days=2),
                ),
                ProblemReport(
                    tandem_id=jonas_karim.tandem_id, reporter_role="local", kind="not_ok",
                    created_at=NOW - timedelta(days=1),
                ),
                Note(tandem_id=lena_nour.tandem_id, body="Called Lena on Monday", created_at=NOW),
                Note(tandem_id=jonas_karim.tandem_id, body="Göttingen secret", created_at=NOW),
            ]
        )  # fmt: skip
        return {"kassel": lena_nour, "goettingen": jonas_karim, "suggested": suggested}


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/tandems")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def page_of(client, pair: Pair):  # type: ignore[no-untyped-def]
    return client.get(f"/coordinator/tandems/{pair.public_id}")


def report_id(engine, pair: Pair) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.scalars(
            select(ProblemReport.id).where(ProblemReport.tandem_id == pair.tandem_id)
        ).one()


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_my_regions_tandems_with_open_reports(client, world):
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/tandems"))
    rows = page.select("tr[data-tandem]")
    assert [row["data-tandem"] for row in rows] == [world["kassel"].public_id]
    cells = [cell.get_text(strip=True) for cell in rows[0].find_all("td")]
    # Names with their town, linked to the person; the status opens the tandem.
    assert cells[:4] == ["Lena(kassel-town)", "Nour(kassel-town)", "Region kassel", "Active"]
    assert rows[0].select_one("a[data-open-tandem]")["href"] == (
        f"/coordinator/tandems/{world['kassel'].public_id}"
    )
    assert "1 open report" in cells[-1]
    assert "Jonas" not in page.get_text() and "Karim" not in page.get_text()


def test_the_admin_sees_every_region(client, world):
    login(client, "ada@example.org")
    page = html(client.get("/coordinator/tandems"))
    shown = {row["data-tandem"] for row in page.select("tr[data-tandem]")}
    assert shown == {world["kassel"].public_id, world["goettingen"].public_id}


def test_the_list_filters_by_status_and_pages(client, engine, world, settings):
    with db(engine) as session:
        kassel = session.get(Tandem, world["kassel"].tandem_id).region_id  # type: ignore[union-attr]
        from web.core.models import Region

        region = session.get(Region, kassel)
        for n in range(3):
            build_tandem(
                session, region, status="ended", local_name=f"Old{n}", newcomer_name=f"Gone{n}"
            )
    login(client, "alice@example.org")
    ended = html(client.get("/coordinator/tandems?status=ended"))
    assert len(ended.select("tr[data-status=ended]")) == 3
    assert not ended.select("tr[data-status=active]")
    everything = html(client.get("/coordinator/tandems?status=all"))
    assert len(everything.select("tr[data-tandem]")) == 4
    # An unknown filter falls back to the current tandems, not an error.
    assert client.get("/coordinator/tandems?status=nonsense").status_code == 200
    settings.page_size = 2  # the app holds this very object
    first = html(client.get("/coordinator/tandems?status=all"))
    second = html(client.get("/coordinator/tandems?status=all&page=2"))
    assert len(first.select("tr[data-tandem]")) == 2 and len(second.select("tr[data-tandem]")) == 2
    assert first.select_one("a[rel=next]")["href"] == "?status=all&page=2"


# --- the tandem page -----------------------------------------------------------------------


def test_the_tandem_page_shows_partners_dates_checkins_reports_and_notes(client, engine, world):
    login(client, "alice@example.org")
    response = page_of(client, world["kassel"])
    assert response.status_code == 200
    page = html(response)
    partners = {
        row["data-role"]: [td.get_text(strip=True) for td in row.find_all("td")]
        for row in page.select("tr[data-role]")
    }
    assert partners == {
        "local": ["Local", "Lena(kassel-town)", "kassel-town"],
        "newcomer": ["Newcomer", "Nour(kassel-town)", "kassel-town"],
    }
    assert page.select_one("[data-field=status]").get_text(strip=True) == "Active"
    assert page.select_one("[data-field=started]").get_text(strip=True) == "March 2, 2026"
    fit = page.select_one("[data-field=fit-check]").get_text(" ", strip=True)
    assert "March 30, 2026" in fit and "due now" in fit
    answered = page.select("tr[data-checkin]")
    assert len(answered) == 2
    texts = [row.get_text(" ", strip=True) for row in answered]
    assert any("We met once, then she was busy" in t and "2 of 5" in t for t in texts)
    assert any("Rarely or not yet" in t for t in texts)
    assert any("No answer yet" in t for t in texts)
    flagged = [row for row in answered if "attention" in row.get("class", [])]
    assert len(flagged) == 1 and "needs attention" in flagged[0].get_text()
    report = page.select_one("li[data-report]")
    assert "My partner does not answer" in report.get_text() and "open" in report["class"]
    assert "No answer since March" in report.get_text()
    notes = page.select_one("#notes")
    assert "Called Lena on Monday" in notes.get_text()
    assert "Göttingen secret" not in page.get_text()
    # Every form posts with the CSRF token.
    for form in page.select("form[method=post]"):
        assert form.find("input", attrs={"name": "_csrf_token"}), form
    with Session(engine) as session:
        assert session.scalars(
            select(AuditLog.action).where(
                AuditLog.subject_type == "tandem",
                AuditLog.subject_id == str(world["kassel"].tandem_id),
            )
        ).all() == ["tandem.viewed"]


def test_suggestions_have_no_tandem_page(client, world):
    login(client, "alice@example.org")
    assert page_of(client, world["suggested"]).status_code == 404


def routes(world: dict[str, Pair], report: int) -> list[tuple[str, str, dict[str, str]]]:
    kassel = world["kassel"].public_id
    base = f"/coordinator/tandems/{kassel}"
    return [
        ("GET", base, {}),
        ("POST", f"{base}/pause", {}),
        ("POST", f"{base}/resume", {}),
        ("POST", f"{base}/end", {"reason": "other", "ended_on": NOW.date().isoformat()}),
        ("POST", f"{base}/rematch", {"reason": "other"}),
        ("POST", f"{base}/fit-check", {}),
        ("POST", f"{base}/notes", {"body": "Bob was here"}),
        ("GET", f"{base}/problems/{report}/handle", {}),
        ("POST", f"{base}/problems/{report}/handle", {"handled_note": "Bob was here"}),
        ("POST", f"{base}/put-in-touch", {}),
    ]


def test_bob_gets_404_for_every_kassel_route_and_changes_nothing(client, engine, world):
    report = report_id(engine, world["kassel"])
    login(client, "bob@example.org")
    before = reload(engine, world["kassel"])
    for method, path, data in routes(world, report):
        if method == "GET":
            response = client.get(path)
        else:
            response = post(client, path, **data)
        assert response.status_code == 404, (method, path)
        assert "Lena" not in response.text and "Nour" not in response.text
    after = reload(engine, world["kassel"])
    assert after[0].status == before[0].status == "active"
    assert after[0].fit_checked_at is None
    with Session(engine) as session:
        assert session.get(ProblemReport, report).handled_at is None  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Note)) == 2
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_unknown_ids_are_404_as_well(client, engine, world):
    login(client, "alice@example.org")
    assert client.get("/coordinator/tandems/nope").status_code == 404
    assert post(client, "/coordinator/tandems/nope/pause").status_code == 404
    # A report that belongs to another tandem is not found under this one.
    other = report_id(engine, world["goettingen"])
    path = f"/coordinator/tandems/{world['kassel'].public_id}/problems/{other}/handle"
    assert post(client, path).status_code == 404


def test_the_routes_need_a_login_and_the_csrf_token(client, engine, world):
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    assert client.get(path, follow_redirects=False).status_code in (302, 303)
    login(client, "alice@example.org")
    assert client.post(f"{path}/pause", follow_redirects=False).status_code == 403
    assert reload(engine, world["kassel"])[0].status == "active"


# --- actions -------------------------------------------------------------------------------


def test_it_pauses_and_resumes(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    response = post(client, f"{path}/pause")
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=paused"
    assert reload(engine, world["kassel"])[0].status == "paused"
    page = html(client.get(response.headers["location"]))
    assert page.select_one(".notice").get_text(strip=True) == "The tandem is paused."
    assert page.select_one("[data-field=status]").get_text(strip=True) == "Paused"
    response = post(client, f"{path}/resume")
    assert response.headers["location"] == f"{path}?done=resumed"
    tandem = reload(engine, world["kassel"])[0]
    assert tandem.status == "active" and tandem.paused_at is None


def test_it_ends_with_a_reason_on_the_chosen_day(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    form = html(client.get(path)).select_one("form.end-form")
    assert form.select_one("input[name=ended_on]")["value"] == "2026-05-04"  # today
    response = post(client, f"{path}/end", reason="drifted_apart", ended_on="2026-04-30")
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=ended"
    tandem, local, newcomer = reload(engine, world["kassel"])
    assert (tandem.status, tandem.end_reason, tandem.ended_by) == (
        "ended",
        "drifted_apart",
        "coordinator",
    )
    assert tandem.ended_at == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
    assert (local.open_tandems, newcomer.open_tandems) == (0, 0)
    with Session(engine) as session:
        ended = session.scalars(select(Event).where(Event.kind == "ended")).one()
        assert (ended.reason, ended.days, ended.tandem_ref) == (
            "drifted_apart",
            59,
            world["kassel"].public_id,
        )
    page = html(client.get(path))
    assert page.select_one("[data-field=end-reason]").get_text(strip=True) == "Drifted apart"
    assert page.select_one("[data-field=ended]").get_text(strip=True) == "April 30, 2026"
    assert not page.select("form.end-form")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "ended_on": "2026-05-04"}, "Please choose a reason"),
        ({"reason": "bored", "ended_on": "2026-05-04"}, "Please choose a reason"),
        ({"reason": "other", "ended_on": "2026-13-01"}, "Please enter a date"),
        ({"reason": "other", "ended_on": "2026-05-05"}, "Please enter a date"),
        ({"reason": "other", "ended_on": "2026-03-01"}, "Please enter a date"),
    ],
)
def test_bad_end_input_is_a_400_with_a_message(client, engine, world, data, message):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    for action in ("end", "rematch"):
        response = post(client, f"{path}/{action}", **data)
        assert response.status_code == 400
        assert message in html(response).select_one(".alert").get_text()
    assert reload(engine, world["kassel"])[0].status == "active"


@pytest.mark.parametrize(
    ("status", "action", "data"),
    [
        ("ended", "end", {"reason": "other"}),
        ("ended", "pause", {}),
        ("ended", "resume", {}),
        ("ended", "fit-check", {}),
        ("paused", "pause", {}),
        ("active", "resume", {}),
        ("proposed", "end", {"reason": "other"}),
        ("proposed", "pause", {}),
        ("proposed", "rematch", {"reason": "other"}),
    ],
)
def test_forbidden_moves_are_a_409_with_a_message(client, engine, world, status, action, data):
    with db(engine) as session:
        session.get(Tandem, world["kassel"].tandem_id).status = status  # type: ignore[union-attr]
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    response = post(client, f"{path}/{action}", **data)
    assert response.status_code == 409
    assert "That is not possible any more" in html(response).select_one(".alert").get_text()
    assert reload(engine, world["kassel"])[0].status == status


def test_the_fit_check_is_marked_from_the_page(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    assert post(client, f"{path}/fit-check").headers["location"] == f"{path}?done=fit_checked"
    assert reload(engine, world["kassel"])[0].fit_checked_at == NOW
    assert post(client, f"{path}/fit-check").status_code == 409


def test_rematch_from_the_page_credits_the_waiting_time(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    response = post(client, f"{path}/rematch", reason="conflict", ended_on="2026-05-04")
    assert response.headers["location"] == f"{path}?done=rematched"
    tandem, _, newcomer = reload(engine, world["kassel"])
    assert (tandem.status, tandem.end_reason) == ("ended", "conflict")
    assert (newcomer.status, newcomer.waiting_since) == ("active", WAITING_SINCE)


def test_an_ended_tandem_offers_to_requeue_the_newcomer(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    post(client, f"{path}/end", reason="moved_away")
    assert reload(engine, world["kassel"])[2].status == "paused"
    page = html(client.get(path))
    requeue = page.select_one(f"form[action='{path}/rematch']")
    assert requeue is not None and "waiting time credited" in requeue.get_text()
    response = post(client, f"{path}/rematch")
    assert response.headers["location"] == f"{path}?done=requeued"
    assert reload(engine, world["kassel"])[2].status == "active"
    assert not html(client.get(path)).select(f"form[action='{path}/rematch']")
    assert post(client, f"{path}/rematch").status_code == 409


def test_a_problem_report_is_marked_handled_once(client, engine, world):
    report = report_id(engine, world["kassel"])
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    empty = post(client, f"{path}/problems/{report}/handle", handled_note="  ")
    assert empty.status_code == 400  # "what was done?" is required; nothing is recorded
    assert html(empty).select_one("textarea[name=handled_note][aria-invalid=true]")
    response = post(client, f"{path}/problems/{report}/handle", handled_note="Called both.")
    assert response.headers["location"] == f"{path}?done=handled"
    with Session(engine) as session:
        row = session.get(ProblemReport, report)
        assert row.handled_at == NOW and row.handled_by_id is not None  # type: ignore[union-attr]
        assert row.handled_note == "Called both."  # type: ignore[union-attr]
    again = post(client, f"{path}/problems/{report}/handle", handled_note="Called too.")
    assert again.headers["location"] == f"{path}?done=already_handled"
    page = html(client.get(path))
    assert "handled" in page.select_one("li[data-report]")["class"]
    assert not page.select(f"form[action='{path}/problems/{report}/handle']")
    assert page.select_one("[data-field=handled-note]").get_text() == "Called both."
    list_page = html(client.get("/coordinator/tandems"))
    assert "open report" not in list_page.get_text()
