from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine
from litestar.testing import TestClient
from sqlalchemy import select

from tests.builders import PASSWORD, csrf_token, db, html, login, make_coordinator, make_region
from web.accounts.accounts import invite
from web.app import create_app
from web.core.models import Coordinator, OutboxMessage, utcnow

GOOD_PASSWORD = "river stone lantern 42"


def ada_and_kassel(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "ada@example.org", role="admin")
        make_coordinator(session, "alice@example.org", regions=[kassel])


def invitation_link(engine) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
        return re.search(r"/invite/(\S+)", message.body_text).group(1)


def post_form(client, path: str, **data: object):  # type: ignore[no-untyped-def]
    return client.post(
        path, data={**data, "_csrf_token": csrf_token(client, "/login")}, follow_redirects=False
    )


def test_an_admin_invites_and_the_invitee_chooses_a_password(client, engine):
    ada_and_kassel(engine)
    login(client, "ada@example.org")
    sent = post_form(
        client,
        "/coordinator/invitations",
        email="Carla@Example.org",
        role="coordinator",
        regions=["kassel"],
    )
    assert sent.status_code == 303
    token = invitation_link(engine)
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/coordinator/invitations")})
    assert client.get(f"/invite/{token}").status_code == 200
    short = post_form(
        client, f"/invite/{token}", name="Carla", password="short", password_again="short"
    )
    assert short.status_code == 400
    assert html(short).find("input", attrs={"name": "name"})["value"] == "Carla"
    mismatch = post_form(
        client,
        f"/invite/{token}",
        name="Carla",
        password=GOOD_PASSWORD,
        password_again=GOOD_PASSWORD + "!",
    )
    assert mismatch.status_code == 400
    created = post_form(
        client,
        f"/invite/{token}",
        name="Carla",
        password=GOOD_PASSWORD,
        password_again=GOOD_PASSWORD,
    )
    assert created.status_code == 303
    with db(engine) as session:
        carla = session.scalars(
            select(Coordinator).where(Coordinator.email == "carla@example.org")
        ).one()
        assert [region.slug for region in carla.regions] == ["kassel"]
        assert carla.role == "coordinator" and carla.password_hash.startswith("$argon2id$")
    assert login(client, "carla@example.org", password=GOOD_PASSWORD).status_code == 303
    # Single use.
    again = post_form(
        client, f"/invite/{token}", name="Eve", password=GOOD_PASSWORD, password_again=GOOD_PASSWORD
    )
    assert again.status_code == 400


def test_invitation_links_expire_after_a_day(client, engine):
    ada_and_kassel(engine)
    with db(engine) as session:
        raw = invite(
            session,
            email="late@example.org",
            role="admin",
            regions=[],
            invited_by=None,
            now=utcnow(),
        )
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        assert client.get(f"/invite/{raw}").status_code == 400


def test_only_admins_may_invite(client, engine):
    ada_and_kassel(engine)
    login(client, "alice@example.org")
    assert client.get("/coordinator/invitations").status_code == 404
    refused = post_form(client, "/coordinator/invitations", email="x@example.org", role="admin")
    assert refused.status_code == 404
    with db(engine) as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def enable_second_factor(client) -> str:  # type: ignore[no-untyped-def]
    page = html(client.get("/coordinator/account/second-factor"))
    secret = page.find("code", class_="secret").get_text()
    assert page.find("img")["src"].startswith("data:image/svg+xml")
    done = post_form(client, "/coordinator/account/second-factor", code=pyotp.TOTP(secret).now())
    assert done.status_code == 303
    return secret


def test_a_coordinator_with_a_second_factor_needs_the_code(client, engine):
    ada_and_kassel(engine)
    login(client, "alice@example.org")
    secret = enable_second_factor(client)
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/coordinator/")})
    start = utcnow() + timedelta(minutes=2)
    with time_machine.travel(start, tick=False):
        first = login(client, "alice@example.org")
        assert first.headers["location"] == "/login/code"
        # Password alone is not a login.
        assert client.get("/coordinator/", follow_redirects=False).status_code == 303
        wrong = post_form(client, "/login/code", code="000000")
        assert wrong.status_code == 400
        code = pyotp.TOTP(secret).at(start)
        assert post_form(client, "/login/code", code=code).status_code == 303
        assert client.get("/coordinator/").status_code == 200
        # The same code never works twice.
        client.post("/logout", data={"_csrf_token": csrf_token(client, "/coordinator/")})
        login(client, "alice@example.org")
        assert post_form(client, "/login/code", code=code).status_code == 400


def test_production_sends_coordinators_without_second_factor_to_set_one_up(settings, engine):
    ada_and_kassel(engine)
    production = settings.model_copy(update={"env": "production"})
    with TestClient(app=create_app(production), base_url="https://testserver.local") as client:
        assert login(client, "alice@example.org").status_code == 303
        response = client.get("/coordinator/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/coordinator/account/second-factor"
        enable_second_factor(client)
        assert client.get("/coordinator/").status_code == 200


def test_the_cli_prints_an_invitation_for_the_first_admin(database_url, engine):
    from tests.builders import tandem

    result = tandem(
        "invite", "--email", "first@example.org", "--role", "admin", database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"/invite/\S{20,}", result.stdout)
    assert PASSWORD not in result.stdout
