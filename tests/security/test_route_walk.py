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

from tests.builders import (
    SAMPLE,
    concrete,
    csrf_token,
    db,
    login,
    make_coordinator,
    make_region,
    routes,
)
from tests.worlds import EveryRoute, every_route
from web.app import create_app
from web.core.models import AuditLog, StoreEntry, metadata

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
    "/sheet/{role:str}",  # a blank sign-up sheet to print (issue 16)
    "/verify/{token:str}",
    "/me/open/{token:str}",
    "/me/new-link",
    "/me/erased",
    "/answer/{token:str}",
    "/calendar/{name:str}",  # a region's public event feed (issue 17)
    "/whats-on/{token:str}",  # the monthly events e-mail, off or on by its link (issue 17)
    "/calendar/me/{name:str}",  # a person's private feed: its unguessable token is the key
    "/check-in/thanks",
    "/check-in/{token:str}",
    "/static/{file_path:path}",
}
DEVELOPMENT_ONLY = re.compile(r"^/dev/")
PARTICIPANT = re.compile(r"^/me(/|$)")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


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


# --- hostile queries, cookies and headers on every route (issue 12 §5) -------------------------

# One value per way a query value broke a handler, and some plain nastiness.
QUERY_VALUES = [
    "\x00", "²²²²²²", "١٢٣٤", "2147483648", "99999999999999999999999", "-1",
    "0001-01-01", "9999-12-31", "\u202eevil", "x" * 2000,
]  # fmt: skip
# Path parameters: far too long for a file name, odd digits, beyond an INTEGER column.
PATH_VALUES = ["a" * 5000, "%C2%B2%C2%B2", "%D9%A3", "2147483648"]
# Cookies go with a fresh anonymous client (a foreign session cookie replaces the session).
COOKIE_CASES = [
    {"tandem_session": "a\x00b"},
    {"tandem_session": "%00"},
    {"tandem_session": "z" * 5000},
    {"tandem_session": "0" * 64},
    {"tandem_csrf": "%00"},
    {"tandem_csrf": "x" * 5000},
    {"tandem_lang": "ar\x00"},
    {"tandem_lang": "%FF"},
]
HEADER_CASES = [
    {"host": "127.0.0.1:99999"},
    {"host": "[::1"},
    {"host": "x" * 300},
    {"cookie": "=;;==; tandem_session; \x00"},
    {"accept-language": "\x00"},
    {"accept-language": "ar;q=99999999999999999999, *;q=-1, de;q=nan"},
    {"accept-language": "ar-" * 2000},
    {"content-type": "multipart/form-data; boundary="},
    {"content-type": "application/x-www-form-urlencoded; charset=\x00"},
    {"x-forwarded-for": "\x00, 999.999.1.1"},
    {"origin": "null", "referer": "http://[::1"},
]
SESSION_ENDING = {"/logout", "/me/logout", "/me/erase"}


def _query_names(settings) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The query parameters each GET route declares (from the OpenAPI schema), by path."""
    schema = create_app(settings, fuzzing=True).openapi_schema.to_schema()
    return {
        path.rstrip("/") or "/": [p["name"] for p in item["get"].get("parameters", [])
                                  if p["in"] == "query"]
        for path, item in schema["paths"].items()
        if "get" in item
    }  # fmt: skip


def _filled(path: str, world: EveryRoute) -> str:
    """A route's path with ids that exist in the seeded world."""
    spelled = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)

    def value(match: re.Match[str]) -> str:
        found = world.values_for(spelled, match.group(1))
        return str(found[0]) if found else SAMPLE.get(match.group(2), "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


@pytest.mark.fuzz  # the slow sweep: `pytest -m "not browser and not fuzz"` skips it locally
def test_no_route_answers_hostile_queries_cookies_or_headers_with_a_500(settings, engine):
    """Every route, as the person it is for (admin, participant, anyone): each query
    parameter it reads (and ``lang``) with each hostile value, then hostile cookies and
    headers. CI runs this on SQLite and PostgreSQL."""
    quick = settings.model_copy(update={"signup_limit_per_hour": 100_000})
    world = every_route(engine, quick)
    query_names = _query_names(quick)
    app = create_app(quick)
    failures: list[tuple[str, str, str, int]] = []
    sent = 0
    # One client runs the app's lifespan; the others share it (each is one browser).
    with TestClient(app) as admin:
        participant, anyone = TestClient(app), TestClient(app)
        assert login(admin, "ada@example.org").status_code == 303
        opened = participant.post(
            f"/me/open/{world.profile_token}",
            data={"_csrf_token": csrf_token(participant, f"/me/open/{world.profile_token}")},
            follow_redirects=False,
        )
        assert opened.status_code == 303
        tokens = {
            admin: csrf_token(admin, "/coordinator/"),
            participant: csrf_token(participant, "/me/edit"),
            anyone: csrf_token(anyone, "/login"),
        }

        def send(client, method, path, *, query=None, headers=None, cookies=None):  # type: ignore[no-untyped-def]
            nonlocal sent
            sent += 1
            data = {"_csrf_token": tokens[client]} if method != "GET" else None
            if cookies or "cookie" in (headers or {}):
                client = TestClient(app)  # a fresh browser: the others keep their sessions
                client.cookies.update(cookies or {})
            response = client.request(
                method, path, params=query, headers=headers, data=data, follow_redirects=False
            )
            if response.status_code >= 500:
                what = repr(query or headers or cookies)[:120]
                failures.append((method, path[:100], what, response.status_code))

        for path, method in routes(app):
            if method == "POST" and path in SESSION_ENDING:
                continue  # would end the session the rest of the walk needs
            if path.startswith("/coordinator") or path == "/logout":
                client = admin
            elif PARTICIPANT.match(path) and path not in PUBLIC:
                client = participant
            else:
                client = anyone
            url = _filled(path, world)
            names = query_names.get(re.sub(r"\{(\w+):\w+\}", r"{\1}", path).rstrip("/") or "/", [])
            for name in [*names, "lang"] if method == "GET" else ["lang"]:
                for value in QUERY_VALUES:
                    send(client, method, url, query={name: value})
            for odd in PATH_VALUES if "{" in path else []:
                send(client, method, re.sub(r"\{(\w+):(\w+)\}", odd, path))
            for headers in HEADER_CASES:
                send(client, method, url, headers=headers)
            for cookies in COOKIE_CASES:
                send(anyone, method, url, cookies=cookies)
        # Still signed in: nothing in the walk broke the sessions it carried.
        assert admin.get("/coordinator/", follow_redirects=False).status_code == 200
        assert participant.get("/me", follow_redirects=False).status_code == 200
    assert sent > 1000
    assert failures == [], f"{len(failures)} of {sent} requests answered ≥ 500: {failures[:20]}"
