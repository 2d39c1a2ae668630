"""What the public pages load: nothing from another host, and little of it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LOCALES, PUBLIC_PAGES, listening

PAGE_BUDGET = 100 * 1024  # bytes transferred for a sign-up page, on a cheap phone's data plan


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_it_loads_nothing_from_another_host(tab, live_server, path, locale):
    requested: list[str] = []
    complaints: list[str] = []
    with (
        listening(tab, "request", lambda request: requested.append(request.url)),
        # A resource the CSP blocks never becomes a request; the browser reports it here.
        listening(tab, "console", lambda message: complaints.append(message.text)),
    ):
        tab.goto(f"{path}?lang={locale}", wait_until="load")
    foreign = [url for url in requested if not url.startswith(f"{live_server.url}/")]
    assert requested and not foreign
    assert not complaints


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ["local", "newcomer"])
def test_a_sign_up_page_stays_under_100_kb(page, role, locale):
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(f"/signup/{role}?lang={locale}", wait_until="load")
    sizes = {request.url: request.sizes() for request in responses}
    transferred = sum(s["responseHeadersSize"] + s["responseBodySize"] for s in sizes.values())
    assert len(sizes) >= 2, "the page and its stylesheet"
    assert transferred < PAGE_BUDGET, {url: s["responseBodySize"] for url, s in sizes.items()}


@pytest.mark.parametrize("address", ["http://example.org/", "http://93.184.215.14/"])
def test_the_browser_cannot_reach_another_host(page, address):
    """What keeps a page that asks from reaching out (tests/e2e/conftest.py)."""
    from playwright.sync_api import Error as PlaywrightError

    with pytest.raises(PlaywrightError, match="ERR_PROXY_CONNECTION_FAILED"):
        page.goto(address)
