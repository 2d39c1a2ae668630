"""What a cheap phone downloads: pages and the stylesheet gzipped, and a favicon to find."""

from __future__ import annotations

import pytest

from tests.builders import html
from web.core.settings import ROOT

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


@pytest.mark.parametrize(
    "path", ["/", "/signup/newcomer", "/signup/local", "/privacy", "/static/tandem.css"]
)
def test_it_gzips_pages_and_the_stylesheet(client, path):
    response = client.get(f"{path}?lang=ar", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    # httpx unpacks the body; what came over the wire is less than half of it.
    assert response.num_bytes_downloaded < len(response.content) / 2
    # The security-headers hook still sees the compressed response.
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if not path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store"


def test_a_browser_without_gzip_gets_plain_pages_also_from_the_cache(client):
    # The landing page is cached as it was sent; the first visitor here accepts gzip.
    for headers, encoding in [(GZIP, "gzip"), (PLAIN, None), (GZIP, "gzip"), (PLAIN, None)]:
        response = client.get("/", headers=headers)
        assert response.headers.get("content-encoding") == encoding
        if encoding is None:
            assert response.num_bytes_downloaded == len(response.content)
        assert html(response).html["lang"] == "de"


def test_error_pages_are_compressed_and_keep_the_security_headers(client):
    response = client.get("/signup/nobody?lang=en", headers=GZIP)
    assert response.status_code == 404
    assert response.headers["content-encoding"] == "gzip"
    assert html(response).find("h1").get_text() == "Page not found"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/login?next=/coordinator/participants", "/coordinator"])
def test_pages_that_echo_a_query_beside_the_csrf_token_are_not_compressed(client, path):
    # BREACH: a compressed page's length would tell an observer how much of a guessed
    # token matches the session's CSRF token.
    response = client.get(path, headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert html(response).find("input", attrs={"name": "_csrf_token"}) is not None


def test_it_serves_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.content == (ROOT / "static" / "favicon.ico").read_bytes()
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
    # Asked for on every page view: a browser may keep it for a week.
    assert "max-age=604800" in response.headers["cache-control"]
    assert "no-store" not in response.headers["cache-control"]
