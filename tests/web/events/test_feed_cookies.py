"""The public calendar feeds set no cookie (issue 17 §4: cacheable, no personal data).

A response with a Set-Cookie is not kept by shared caches, and a cookie on a feed that a
calendar app fetches is nobody's. The whole ``/calendar/`` prefix is covered (the CSRF
and the session middleware skip it), so the app refuses a form handler there.
"""

from __future__ import annotations

import pytest
from litestar import Litestar, post

from tests.builders import db, make_region
from web.app import _refuse_unsafe_feed_routes
from web.core.settings import SettingsError


@pytest.fixture
def kassel(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        make_region(session, "kassel")


def test_the_public_feed_sets_no_cookie(client, kassel) -> None:
    first = client.get("/calendar/kassel.ics")
    assert first.status_code == 200
    assert "set-cookie" not in first.headers
    assert not client.cookies  # nothing kept for a second request either
    again = client.get("/calendar/kassel.ics", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and "set-cookie" not in again.headers
    assert first.headers["cache-control"].startswith("public")


def test_nothing_under_the_calendar_prefix_sets_a_cookie(client, kassel) -> None:
    for path in ("/calendar/nowhere.ics", "/calendar/kassel.json", "/calendar/me/x.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "set-cookie" not in response.headers, path


def test_a_page_with_a_form_still_sets_the_csrf_cookie(client) -> None:
    assert "tandem_csrf" in client.get("/signup/newcomer").headers["set-cookie"]


def test_a_form_handler_under_the_calendar_prefix_is_refused() -> None:
    @post("/calendar/me/revoke", sync_to_thread=False)
    def revoke() -> None:
        return None

    with pytest.raises(SettingsError, match="GET only"):
        _refuse_unsafe_feed_routes(Litestar(route_handlers=[revoke]))
