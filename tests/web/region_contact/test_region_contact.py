"""A region's contact for participants: kept by its coordinators, checked, audited, and
the signature of the region's e-mails (issue 15 §3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from tests.builders import csrf_token, db, html, login
from tests.worlds import two_regions
from web.core.models import AuditLog, Region

PAGE = "/coordinator/regions/kassel/contact"


def world(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        two_regions(session)


def post(client, path: str = PAGE, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, PAGE)
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def region(engine, slug: str = "kassel") -> Region:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.scalars(select(Region).where(Region.slug == slug)).one()


def test_alice_saves_the_contact_and_sees_it_again(client, engine):
    world(engine)
    login(client, "alice@example.org")
    response = post(client, contact_name="Büro Tandem", contact_email="tandem@kassel.example",
                    contact_phone="0561 987654")  # fmt: skip
    assert response.status_code == 303
    kassel = region(engine)
    assert (kassel.contact_name, kassel.contact_email, kassel.contact_phone) == (
        "Büro Tandem", "tandem@kassel.example", "+49561987654",
    )  # fmt: skip
    page = html(client.get(response.headers["location"]))
    assert page.select_one('[data-flash="saved"]').get_text().startswith("Gespeichert.")
    assert page.find("input", attrs={"name": "contact_phone"})["value"] == "0561 987654"
    with Session(engine) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.subject_type == "region"))
        assert list(actions) == ["region.contact_saved"]


def test_a_bad_address_or_number_is_refused_and_kept(client, engine):
    world(engine)
    login(client, "alice@example.org")
    response = post(client, contact_name="Büro", contact_email="kein-at", contact_phone="12")
    assert response.status_code == 400
    page = html(response)
    assert page.find("input", attrs={"name": "contact_email"})["value"] == "kein-at"
    assert page.find("input", attrs={"name": "contact_phone"})["value"] == "12"
    errors = [p.get_text() for p in page.select("p.error")]
    assert len(errors) == 2 and "E-Mail-Adresse" in errors[0]
    assert region(engine).contact_email is None


def test_bob_cannot_see_or_change_kassels_contact(client, engine):
    world(engine)
    login(client, "bob@example.org")
    assert client.get(PAGE).status_code == 404
    token = csrf_token(client, "/coordinator/regions/goettingen/contact")
    response = client.post(PAGE, data={"_csrf_token": token, "contact_name": "X"})
    assert response.status_code == 404
    assert region(engine).contact_name is None


def test_the_regions_page_links_to_it(client, engine):
    world(engine)
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/regions"))
    assert page.find("a", href=PAGE) is not None
