"""What would help the newcomers still waiting: computed after a run, shown on the run page,
applied to the region's settings or asked of the people concerned (issue 15 §6)."""

from __future__ import annotations

from sqlalchemy import select

from tests.builders import csrf_token, db, html, login
from tests.worlds import waiting_for_relaxations
from web.core.models import (
    AuditLog,
    ContactTask,
    MatchingRun,
    OutboxMessage,
    Participant,
    Region,
)


def world(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return waiting_for_relaxations(session).ids


def run_kassel(client):  # type: ignore[no-untyped-def]
    """Alice starts the matching (the test client runs the queued jobs before it returns)."""
    login(client, "alice@example.org")
    token = csrf_token(client, "/coordinator/regions")
    response = client.post("/coordinator/regions/kassel/match", data={"_csrf_token": token},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    return response.headers["location"]


def kassel_setting(session, column):  # type: ignore[no-untyped-def]
    return session.scalars(select(column).where(Region.slug == "kassel")).one()


def relaxations(page):  # type: ignore[no-untyped-def]
    return {item["data-relaxation"]: item for item in page.select("#whatif li[data-relaxation]")}


def test_the_run_page_says_what_each_relaxation_would_achieve_in_german(client, engine):
    ids = world(engine)
    page = html(client.get(run_kassel(client)))
    assert page.find("html")["lang"] == "de"
    found = relaxations(page)
    assert {name: int(item["data-more"]) for name, item in found.items()} == {
        "level": 2,
        "radius": 1,
        "online": 2,
    }
    assert "Mit Sprachniveau A2 statt B1: 2 Neuzugewanderte mehr vermittelt" in found["level"].text
    assert (
        "Mit bis zu 35 km statt 25 km Entfernung: 1 neuzugewanderte Person mehr vermittelt"
        in found["radius"].text
    )
    assert (
        page.select_one("#whatif-title").text
        == "Was den noch wartenden Neuzugewanderten helfen würde"
    )
    # Who would be matched: full name and town, linked to their page.
    level_people = {a["href"]: a.text for a in found["level"].select("a[data-person]")}
    assert level_people == {
        f"/coordinator/participants/{ids['Amal']}": "Amal Saleh",
        f"/coordinator/participants/{ids['Sami']}": "Sami Nasser",
    }
    assert "Karim Rahimi (Hofgeismar)" in found["radius"].text
    concerned = {a["data-person"] for a in found["online"].select("a[data-person]")}
    assert {ids["Karim"], ids["Pari"]} <= concerned
    with db(engine) as session:
        (run,) = session.scalars(select(MatchingRun)).all()
        assert run.stats["whatif"]["state"] == "done"
        assert run.stats["stats"]["pairs"] == 1  # the run itself relaxed nothing


def test_applying_the_level_changes_the_region_and_is_audited(client, engine):
    world(engine)
    run_page = run_kassel(client)
    run_id = int(run_page.rsplit("/", 1)[1])
    confirm = f"/coordinator/runs/{run_id}/relax/level"
    page = html(client.get(confirm))
    change = page.select_one("#relax-change dd[data-from]")
    assert (change["data-from"], change["data-to"]) == ("B1", "A2")
    token = str(page.find("input", attrs={"name": "_csrf_token"})["value"])
    response = client.post(confirm, data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/coordinator/runs/{run_id}?done=level"
    with db(engine) as session:
        region = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        assert region.min_level == "A2"
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.subject_id == str(region.id))
        ).all()
        assert "region.matching_relaxed" in actions
    # The page says so, and offers it no more; posting the same change again is refused.
    after = html(client.get(response.headers["location"]))
    assert after.select_one("#whatif [data-flash]") is not None
    assert after.select_one('#whatif a[href$="/relax/level"]') is None
    again = client.post(confirm, data={"_csrf_token": token})
    assert again.status_code == 409
    assert html(again).select_one("[data-changed]") is not None
    with db(engine) as session:
        assert (
            session.scalars(select(Region.min_level).where(Region.slug == "kassel")).one() == "A2"
        )


def test_applying_needs_the_csrf_token(client, engine):
    world(engine)
    run_id = int(run_kassel(client).rsplit("/", 1)[1])
    response = client.post(f"/coordinator/runs/{run_id}/relax/radius", data={})
    assert response.status_code == 403
    with db(engine) as session:
        assert (
            session.scalars(select(Region.max_distance_km).where(Region.slug == "kassel")).one()
            == 25
        )


def test_asking_online_mails_the_locals_and_leaves_a_task_for_karim(client, engine):
    ids = world(engine)
    run_id = int(run_kassel(client).rsplit("/", 1)[1])
    confirm = f"/coordinator/runs/{run_id}/relax/online"
    page = html(client.get(confirm))
    listed = {a["data-person"] for a in page.select("#to-ask a[data-person]")}
    assert ids["Karim"] in listed and ids["Pari"] not in listed  # Pari ticked it already
    token = str(page.find("input", attrs={"name": "_csrf_token"})["value"])
    response = client.post(confirm, data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    with db(engine) as session:
        karim = session.scalars(
            select(Participant).where(Participant.public_id == ids["Karim"])
        ).one()
        tasks = session.scalars(
            select(ContactTask).where(ContactTask.participant_id == karim.id)
        ).all()
        assert [task.kind for task in tasks] == ["ask_online"]
        mails = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "ask_online")
        ).all()
        assert len(mails) == len(listed) - 1  # everyone but Karim has an address
        assert all("/me/open/" in mail.body_text for mail in mails)
        asked = session.scalars(
            select(AuditLog.subject_id).where(AuditLog.action == "participant.asked_online")
        ).all()
        assert len(asked) == len(listed)
    after = html(client.get(f"/coordinator/runs/{run_id}"))
    assert after.select_one("#whatif [data-asked]") is not None


def test_another_regions_coordinator_sees_and_changes_nothing(client, engine):
    world(engine)
    run_id = int(run_kassel(client).rsplit("/", 1)[1])
    client.cookies.clear()
    login(client, "bob@example.org")
    token = csrf_token(client, "/coordinator/regions")
    for path in (
        f"/coordinator/runs/{run_id}/relax/level",
        f"/coordinator/runs/{run_id}/relax/online",
    ):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"_csrf_token": token}).status_code == 404
    assert (
        client.post(f"/coordinator/runs/{run_id}/whatif", data={"_csrf_token": token}).status_code
        == 404
    )
    assert client.get(f"/coordinator/runs/{run_id}/relax/nonsense").status_code == 404


def test_a_run_from_before_gets_its_what_if_on_request(client, engine):
    world(engine)
    run_page = run_kassel(client)
    with db(engine) as session:
        run = session.scalars(select(MatchingRun)).one()
        run.stats = {key: value for key, value in run.stats.items() if key != "whatif"}
    page = html(client.get(run_page))
    assert page.select_one("#whatif")["data-state"] == "none"
    form = page.select_one('#whatif form[action$="/whatif"]')
    token = str(form.find("input", attrs={"name": "_csrf_token"})["value"])
    response = client.post(form["action"], data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = html(client.get(response.headers["location"]))
    assert page.select_one("#whatif")["data-state"] == "done"
    assert int(relaxations(page)["level"]["data-more"]) == 2
