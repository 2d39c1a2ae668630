from __future__ import annotations

from tests.builders import db, html, login, make_coordinator, make_participant, make_region


def world(engine):  # type: ignore[no-untyped-def]
    """Alice serves Kassel, Bob serves Göttingen, Ada is an admin."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        make_coordinator(session, "ada@example.org", role="admin")
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
