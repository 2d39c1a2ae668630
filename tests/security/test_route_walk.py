"""Walks the app's own route table, so a new route cannot be forgotten.

Every route needs a login unless it is listed here as public; every unsafe
method is refused without a CSRF token; every response carries the security
headers; no GET changes the database.
"""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from tests.builders import db, login, make_coordinator, make_region
from web.app import create_app
from web.models import AuditLog, StoreEntry, metadata

# Anyone may open these (path templates as Litestar spells them).
PUBLIC = {
    "/",
    "/healthz",
    "/favicon.ico",
    "/login",
    "/login/code",
    "/invite/{token:str}",
    "/signup",
    "/signup/{role:str}",
    "/signup/sent",
    "/privacy",
    "/verify/{token:str}",
    "/me/open/{token:str}",
    "/me/new-link",
    "/me/erased",
    "/answer/{token:str}",
    "/check-in/thanks",
    "/check-in/{token:str}",
    "/static/{file_path:path}",
}
DEVELOPMENT_ONLY = re.compile(r"^/dev/")
PARTICIPANT = re.compile(r"^/me(/|$)")
SAMPLE = {"str": "sample", "int": "1", "path": "tandem.css", "uuid": "0" * 32}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def routes(app: Litestar) -> list[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.add((route.path, method))
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: SAMPLE.get(m.group(2), "x"), path)


@pytest.fixture
def app(settings) -> Litestar:  # type: ignore[no-untyped-def]
    return create_app(settings)


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", response.url
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, response.url
    assert headers.get("referrer-policy") == "same-origin", response.url


def test_every_route_is_known_to_this_walk(app):
    unknown = [
        (path, method)
        for path, method in routes(app)
        if path not in PUBLIC
        and not path.startswith("/coordinator")
        and not PARTICIPANT.match(path)
        and not DEVELOPMENT_ONLY.match(path)
        and path != "/logout"
    ]
    assert unknown == [], "classify these routes in tests/security/test_route_walk.py"


def test_private_routes_need_a_login(app):
    with TestClient(app) as client:
        for path, method in routes(app):
            if path in PUBLIC or DEVELOPMENT_ONLY.match(path) or method != "GET":
                continue
            response = client.get(concrete(path), follow_redirects=False)
            assert_security_headers(response)
            if PARTICIPANT.match(path):
                assert response.status_code == 401, path
            else:
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login"), path


def test_unsafe_methods_without_csrf_token_are_refused(app, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
    with TestClient(app) as client:
        login(client, "alice@example.org")
        for path, method in routes(app):
            if method not in UNSAFE:
                continue
            response = client.request(
                method, concrete(path), data={"x": "1"}, follow_redirects=False
            )
            assert response.status_code == 403, (method, path, response.status_code)
            assert_security_headers(response)


def fingerprint(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Row counts of every table (the session store aside: it is infrastructure)."""
    with db(engine) as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables
            if table.name != StoreEntry.__tablename__
            # Views of a person's profile are audited: the one intended write of a GET.
            and table.name != AuditLog.__tablename__
        }


def test_no_get_changes_the_database(app, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
    with TestClient(app) as client:
        login(client, "alice@example.org")
        before = fingerprint(engine)
        for path, method in routes(app):
            if method == "GET":
                response = client.get(concrete(path), follow_redirects=False)
                assert response.status_code < 500, path
                assert_security_headers(response)
        assert fingerprint(engine) == before


def test_authenticated_pages_are_not_cached(app, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
    with TestClient(app) as client:
        login(client, "alice@example.org")
        assert client.get("/coordinator/").headers["cache-control"] == "no-store"


def test_pages_without_a_form_set_no_csrf_cookie_and_forms_do(client):
    for path in ("/", "/privacy", "/signup", "/signup/sent"):
        response = client.get(path)
        assert "tandem_csrf" not in response.headers.get("set-cookie", ""), path
        assert 'method="post"' not in response.text, path  # nothing to protect on the page
    assert "tandem_csrf" in client.get("/signup/newcomer").headers["set-cookie"]


def test_static_files_keep_their_cache_headers_and_get_the_security_headers(client):
    response = client.get("/static/tandem.css")
    assert response.status_code == 200
    assert response.headers.get("cache-control") != "no-store"
    assert_security_headers(response)
