"""Sessions are stored only when there is something to store (issue 12 §4).

Before, every anonymous request to a page that reads the session (the coordinator pages,
/me, a failed address confirmation, ...) wrote an empty row to ``store_entry`` and set a
cookie: 2,046 rows in 10 s from one client. Now nothing is written until a login puts
data in the session, and ``tandem purge`` deletes the sessions nobody came back to.
"""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import TestClient
from sqlalchemy import func, select, update

from tests.builders import (
    concrete,
    csrf_token,
    db,
    login,
    make_coordinator,
    make_region,
    routes,
    tandem,
)
from web.app import create_app
from web.core.models import StoreEntry, utcnow

HOST = "testserver.local"
COOKIE = "tandem_session"


def stored_sessions(engine) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalar(select(func.count()).select_from(StoreEntry)) or 0


def session_cookies_set(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [value for value in response.headers.get_list("set-cookie") if value.startswith(COOKIE)]


def _every_page_anonymously(client: TestClient) -> int:
    """GET every route once without a login; return how many answers set a session cookie."""
    setting = 0
    for path, method in routes(client.app):
        if method == "GET":
            response = client.get(concrete(path), follow_redirects=False)
            assert response.status_code < 500, path
            setting += bool(session_cookies_set(response))
    return setting


def test_anonymous_requests_store_no_session(client, engine):
    with db(engine) as session:
        make_region(session, "kassel")
    token = csrf_token(client, "/verify/not-a-token")
    for _ in range(5):
        assert _every_page_anonymously(client) == 0
        for path in ("/coordinator/", "/me", "/me/edit", "/login/code"):
            client.get(path, follow_redirects=False)
        failed = client.post(
            "/verify/not-a-token", data={"_csrf_token": token}, follow_redirects=False
        )
        assert failed.status_code == 400
        assert session_cookies_set(failed) == []
    assert stored_sessions(engine) == 0
    assert client.cookies.get(COOKIE, domain=HOST) is None


def test_a_cookie_we_never_issued_is_cleared_and_stores_nothing(client, engine):
    for planted in ("attacker-chosen", "0" * 64, "null", "a\x00b", "%00", "%C3%BC" * 32):
        client.cookies.set(COOKIE, planted, domain=HOST)
        response = client.get("/coordinator/", follow_redirects=False)
        assert response.status_code == 303
        (cleared,) = session_cookies_set(response)
        assert cleared.startswith(f"{COOKIE}=null;") and "expires=" in cleared.lower()
    assert stored_sessions(engine) == 0


def test_a_login_stores_exactly_one_session_and_a_logout_removes_it(client, engine):
    with db(engine) as session:
        make_coordinator(session, "alice@example.org", regions=[make_region(session, "kassel")])
    client.get("/coordinator/", follow_redirects=False)
    assert stored_sessions(engine) == 0
    assert login(client, "alice@example.org").status_code == 303
    assert stored_sessions(engine) == 1
    for _ in range(3):
        assert client.get("/coordinator/", follow_redirects=False).status_code == 200
    assert stored_sessions(engine) == 1
    token = csrf_token(client, "/coordinator/")
    assert client.post("/logout", data={"_csrf_token": token}).status_code == 200
    assert stored_sessions(engine) == 0


def test_tandem_purge_deletes_the_sessions_nobody_came_back_to(settings, engine, database_url):
    with db(engine) as session:
        make_coordinator(session, "alice@example.org", regions=[make_region(session, "kassel")])
        make_coordinator(session, "bob@example.org")
    with TestClient(create_app(settings)) as gone, TestClient(create_app(settings)) as live:
        assert login(gone, "alice@example.org").status_code == 303
        assert login(live, "bob@example.org").status_code == 303
        gone_id = gone.cookies.get(COOKIE, domain=HOST)
    assert stored_sessions(engine) == 2
    with db(engine) as session:  # Alice's session passed its lifetime a minute ago
        session.execute(
            update(StoreEntry)
            .where(StoreEntry.key == gone_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    result = tandem("purge", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "expired sessions deleted: 1" in result.stdout
    with db(engine) as session:
        kept = session.scalars(select(StoreEntry.key)).all()
    assert len(kept) == 1 and gone_id not in kept
