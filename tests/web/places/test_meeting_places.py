"""Meeting places: coordinators of a region add, change, archive and restore them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from tests.builders import csrf_token, db, html, login, make_coordinator, make_region
from web.core.models import AuditLog, MeetingPlace, Region

NEW_KASSEL = "/coordinator/regions/kassel/places/new"
CREATE_KASSEL = "/coordinator/regions/kassel/places"


@pytest.fixture
def world(engine) -> None:  # type: ignore[no-untyped-def]
    """Alice serves Kassel, Bob serves Göttingen, Ada is an admin."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        make_coordinator(session, "ada@example.org", role="admin")


def library(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Stadtbibliothek",
        "kind": "library",
        "street": "Obere Königsstraße 3",
        "town": "kassel-town",
        "lat": "",
        "lon": "",
        "slots": ["tue_morning", "thu_afternoon"],
        "step_free": "yes",
        "staff_languages": ["de", "ar"],
        "description_de": "Ruhige Tische im Lesecafé.",
        "description_ar": "طاولات هادئة",
    }
    data.update(overrides)
    return data


def post(client, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/places")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def places(engine) -> list[MeetingPlace]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.scalars(select(MeetingPlace).order_by(MeetingPlace.id)))


def add_place(engine, region_slug: str = "kassel", **fields: object) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        region = session.scalars(select(Region).where(Region.slug == region_slug)).one()
        session.refresh(region)
        town = region.places[0]
        place = MeetingPlace(region_id=region.id, name="Café Mitte", kind="cafe", street="Markt 1",
                             town_id=town.id, lat=town.lat, lon=town.lon, slots=["mon_evening"],
                             descriptions={"de": "Ein Café."}, **fields)  # fmt: skip
        session.add(place)
        session.flush()
        return place.id  # type: ignore[return-value]


def test_it_lists_the_places_of_the_coordinators_regions_only(client, engine, world) -> None:
    kassel, goettingen = add_place(engine), add_place(engine, "goettingen")
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/places"))
    assert page.select_one(f"[data-place='{kassel}']") is not None
    assert page.select_one(f"[data-place='{goettingen}']") is None
    assert page.select_one("[data-region='goettingen']") is None
    assert page.find("a", href="/coordinator/places") is not None  # the nav link


def test_it_adds_a_place_with_the_towns_position(client, engine, world) -> None:
    login(client, "alice@example.org")
    response = post(client, CREATE_KASSEL, library())
    assert response.status_code == 303
    assert response.headers["location"] == "/coordinator/places?done=created"
    (place,) = places(engine)
    assert (place.name, place.kind, place.street) == ("Stadtbibliothek", "library",
                                                      "Obere Königsstraße 3")  # fmt: skip
    assert (place.lat, place.lon) == (51.3, 9.5)
    assert place.slots == ["tue_morning", "thu_afternoon"]
    assert place.step_free and not place.costs
    assert place.staff_languages == ["de", "ar"]
    assert place.descriptions == {"de": "Ruhige Tische im Lesecafé.", "ar": "طاولات هادئة"}
    assert place.description_in("ar") == "طاولات هادئة"
    assert place.description_in("uk") == "Ruhige Tische im Lesecafé."  # German as fallback
    with Session(engine) as session:
        actions = session.scalars(select(AuditLog.action)).all()
    assert "meeting_place.created" in actions


def test_it_takes_a_corrected_position(client, engine, world) -> None:
    login(client, "alice@example.org")
    assert post(client, CREATE_KASSEL, library(lat="51,31", lon="9.51")).status_code == 303
    (place,) = places(engine)
    assert (place.lat, place.lon) == (51.31, 9.51)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"street": ""}, "street"),
        ({"town": "goettingen-town"}, "town"),  # a town of another region
        ({"lat": "north", "lon": "9.5"}, "position"),
        ({"lat": "48.1", "lon": "11.5"}, "position"),  # Munich is not in Kassel
        ({"slots": []}, "slots"),
        ({"description_de": ""}, "description_de"),
        ({"description_en": "y" * 1001}, "description_en"),
        ({"kind": "online", "video_url": "http://insecure.example"}, "video_url"),
        ({"kind": "online", "video_url": "javascript:alert(1)"}, "video_url"),
    ],
)
def test_it_refuses_bad_input_and_keeps_what_was_typed(
    client, engine, world, overrides, field
) -> None:  # type: ignore[no-untyped-def]
    login(client, "alice@example.org")
    response = post(client, CREATE_KASSEL, library(**overrides))
    assert response.status_code == 400
    page = html(response)
    marked = page.select_one(f"#f-{field}-error")
    assert marked is not None and marked.get_text(strip=True)
    assert page.select_one("#f-street")["value"] == library(**overrides)["street"]
    assert places(engine) == []


def test_it_adds_a_virtual_place_without_an_address(client, engine, world) -> None:
    login(client, "alice@example.org")
    data = library(kind="online", street="", town="", slots=[],
                   video_url="https://meet.example.org/tandem")  # fmt: skip
    assert post(client, CREATE_KASSEL, data).status_code == 303
    (place,) = places(engine)
    assert place.is_virtual and place.video_url == "https://meet.example.org/tandem"
    assert (place.street, place.town_id, place.lat) == (None, None, None)


def test_it_changes_a_place_and_shows_the_stored_values(client, engine, world) -> None:
    place_id = add_place(engine)
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/places/{place_id}"))
    assert page.select_one("#f-name")["value"] == "Café Mitte"
    assert page.select_one("input[name=slots][value=mon_evening]").has_attr("checked")
    response = post(client, f"/coordinator/places/{place_id}",
                    library(name="Café Mitte am Markt", kind="cafe", costs="yes"))  # fmt: skip
    assert response.headers["location"] == "/coordinator/places?done=changed"
    (place,) = places(engine)
    assert place.name == "Café Mitte am Markt" and place.costs


def test_it_archives_and_restores_a_place_never_deletes(client, engine, world) -> None:
    place_id = add_place(engine)
    login(client, "alice@example.org")
    assert post(client, f"/coordinator/places/{place_id}/archive", {}).status_code == 303
    (place,) = places(engine)
    assert place.archived_at is not None
    page = html(client.get("/coordinator/places"))
    assert page.select_one(f"[data-place='{place_id}']") is None
    assert page.select_one(f"[data-archived='{place_id}']") is not None
    assert post(client, f"/coordinator/places/{place_id}/restore", {}).status_code == 303
    (place,) = places(engine)
    assert place.archived_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/coordinator/places/{id}"),
        ("post", "/coordinator/places/{id}"),
        ("post", "/coordinator/places/{id}/archive"),
        ("post", "/coordinator/places/{id}/restore"),
        ("get", "/coordinator/regions/kassel/places/new"),
        ("post", "/coordinator/regions/kassel/places"),
    ],
)
def test_a_coordinator_of_another_region_gets_404(client, engine, world, method, path) -> None:  # type: ignore[no-untyped-def]
    place_id = add_place(engine)
    login(client, "bob@example.org")
    url = path.format(id=place_id)
    if method == "get":
        response = client.get(url)
    else:
        response = post(client, url, library(name="Taken over"))
    assert response.status_code == 404
    (place,) = places(engine)
    assert place.name == "Café Mitte" and place.archived_at is None


def test_an_admin_sees_every_region(client, engine, world) -> None:
    add_place(engine, "goettingen")
    login(client, "ada@example.org")
    page = html(client.get("/coordinator/places"))
    assert {s["data-region"] for s in page.select("[data-region]")} == {"kassel", "goettingen"}


def test_a_form_without_csrf_token_is_refused(client, engine, world) -> None:
    login(client, "alice@example.org")
    response = client.post(CREATE_KASSEL, data=library(), follow_redirects=False)
    assert response.status_code == 403
    assert places(engine) == []


def test_strangers_are_sent_to_the_login(client, world) -> None:
    response = client.get("/coordinator/places", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_database_refuses_a_place_without_an_address(engine, world) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db(engine) as session:
        session.add(MeetingPlace(region_id=1, name="Nowhere", kind="cafe",
                                 descriptions={"de": "x"}))  # fmt: skip
        session.flush()
