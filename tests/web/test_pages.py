from __future__ import annotations

from tests.builders import html


def test_the_landing_page_speaks_german_by_default(client):
    page = html(client.get("/"))
    assert page.html["lang"] == "de"
    assert page.html["dir"] == "ltr"
    assert page.find("h1").get_text() == "Gemeinsam als Tandem"


def test_the_language_switch_changes_and_remembers_the_language(client):
    page = html(client.get("/?lang=en"))
    assert page.html["lang"] == "en"
    assert page.find("h1").get_text() == "Meet as a tandem"
    assert html(client.get("/")).html["lang"] == "en"  # remembered in a cookie


def test_the_browser_language_is_honoured(client):
    page = html(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}))
    assert page.html["lang"] == "en"


def test_public_pages_create_no_session(client):
    response = client.get("/")
    assert "tandem_session" not in response.headers.get("set-cookie", "")


def test_every_page_is_self_contained(client):
    page = html(client.get("/"))
    external = [
        tag
        for tag in page.find_all(["link", "script", "img"])
        if (tag.get("href") or tag.get("src") or "/").startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert client.get("/static/tandem.css").status_code == 200


def test_error_pages_carry_the_security_headers(client):
    for response in (client.get("/no-such-page"), client.delete("/")):
        assert response.status_code in (404, 405, 403)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_a_missing_page_is_a_translated_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert html(response).find("h1").get_text() == "Seite nicht gefunden"


def test_the_default_language_is_a_setting(settings):
    from litestar.testing import TestClient

    from web.app import create_app

    with TestClient(create_app(settings.model_copy(update={"default_locale": "en"}))) as client:
        assert html(client.get("/")).html["lang"] == "en"


def test_cached_public_pages_still_speak_each_visitors_language(client):
    # The landing page is rendered once a minute per language; the cache must not hand
    # one visitor's language to the next.
    for _ in range(2):  # the second round comes from the cache
        german = client.get("/", headers={"Accept-Language": "de"})
        arabic = client.get("/", headers={"Accept-Language": "ar"})
        assert html(german).html["lang"] == "de"
        assert html(arabic).html["lang"] == "ar" and html(arabic).html["dir"] == "rtl"
        chosen = client.get("/privacy?lang=en", headers={"Accept-Language": "de"})
        assert html(chosen).html["lang"] == "en"
        assert "tandem_lang=en" in chosen.headers["set-cookie"]  # the choice is remembered
        client.cookies.clear()
