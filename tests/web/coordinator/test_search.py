"""Find anyone from the box on every coordinator page (issue 15 §2).

Alice coordinates Kassel: Yasmin Çelik (Kassel-town, +49 561 12345), Yasmin Haddad,
Jürgen Müller (a local). Bob coordinates Göttingen, where another Yasmin lives.
"""

from __future__ import annotations

import pytest

from tests.builders import db, html, login, make_coordinator, make_participant, make_region


def world(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        people = {
            "celik": make_participant(session, kassel, first_name="Yasmin", last_name="Çelik",
                                      phone="+49 561 12345", email="yc@example.org"),
            "haddad": make_participant(session, kassel, first_name="Yasmin", last_name="Haddad",
                                       email="y.haddad@example.org"),
            "mueller": make_participant(session, kassel, role="local", first_name="Jürgen",
                                        last_name="Müller", email="jm@example.org"),
            "other": make_participant(session, goettingen, first_name="Yasmin", last_name="Celik",
                                      email="yasmin@goettingen.example"),
        }  # fmt: skip
        return {key: person.public_id for key, person in people.items()}


def found(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/coordinator/search", params={"q": query, "lang": "de"})
    assert response.status_code == 200
    return [row["data-participant"] for row in html(response).select("tr[data-participant]")]


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("celik", ["celik"]),  # no accent typed, Çelik found; Göttingen's Celik is not Alice's
        ("ÇELIK", ["celik"]),
        ("yasmin", ["celik", "haddad"]),
        ("yasmin hadd", ["haddad"]),  # every word must match
        ("mul", ["mueller"]),  # part of "Müller"
        ("jurgen", ["mueller"]),
        ("kassel-town", ["celik", "haddad", "mueller"]),  # the town
        ("y.haddad@", ["haddad"]),  # the e-mail
        ("561 123", ["celik"]),  # the phone, spaces ignored
        ("100%", []),
        ("nobody", []),
    ],
)
def test_it_finds_people_in_own_regions_ignoring_case_and_accents(client, engine, query, keys):
    w = world(engine)
    login(client, "alice@example.org")
    assert sorted(found(client, query)) == sorted(w[key] for key in keys)


def test_the_box_is_on_every_coordinator_page_and_results_name_people_apart(client, engine):
    w = world(engine)
    login(client, "alice@example.org")
    for page in ("/coordinator/", "/coordinator/participants", "/coordinator/tandems"):
        box = html(client.get(page)).select_one("nav.account form[role=search]")
        assert box is not None and box["action"] == "/coordinator/search", page
        assert box.find("input", attrs={"name": "q"}) is not None
    results = html(client.get("/coordinator/search?q=yasmin&lang=de"))
    names = [a.get_text(strip=True) for a in results.select("a[data-person]")]
    assert sorted(names) == ["Yasmin Haddad", "Yasmin Çelik"]
    link = results.select_one(f"a[data-person='{w['celik']}']")
    assert link["href"] == f"/coordinator/participants/{w['celik']}"
    assert "kassel-town" in link.parent.get_text()


def test_bob_finds_only_his_yasmin(client, engine):
    w = world(engine)
    login(client, "bob@example.org")
    assert found(client, "yasmin") == [w["other"]]


def test_an_empty_or_hostile_search_is_harmless(client, engine):
    world(engine)
    login(client, "alice@example.org")
    assert found(client, "") == []
    assert found(client, "%_\\") == []
    long = client.get("/coordinator/search", params={"q": "x" * 5000})
    assert long.status_code == 200
    assert client.get("/coordinator/search?q=<script>").text.count("<script>") == 0
