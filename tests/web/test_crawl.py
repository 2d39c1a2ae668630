"""Every public page can be found from `/` in every language, by links and GET forms only:
nobody has to type an address (issue 13: the landing page once linked to no sign-up)."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from tests.builders import html
from web.core.i18n import LOCALES, language_tag

PUBLIC_PAGES = {"/signup/newcomer", "/signup/local", "/privacy", "/me/new-link", "/login"}
MAX_PAGES = 60  # the public site is small; more would mean a loop of generated links


def links_on(page, here: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Where a visitor can go from ``page`` without typing: links, and GET forms sent as
    they stand. The language switch is left out: the language was chosen once, at `/`."""
    switch = page.select_one("nav.languages")
    targets = [
        a["href"] for a in page.select("a[href]") if switch is None or a not in switch.find_all("a")
    ]
    for form in page.select("form"):
        if form.get("method", "get").lower() == "get":
            fields = {field["name"]: field.get("value", "") for field in form.select("[name]")}
            targets.append(f"{form.get('action') or here}?{urlencode(fields)}")
    return [urljoin(here, target) for target in targets]


def crawl(client, start: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The language (``<html lang>``) of every page reached from ``start``, by path."""
    origin = urlsplit(str(client.base_url)).netloc
    reached: dict[str, str] = {}
    queue, queued = [start], {start}
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code < 400, f"a link leads to a {response.status_code}: {url}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page = html(response)
        reached[response.url.path] = page.html["lang"]
        for target in links_on(page, str(response.url)):
            parts = urlsplit(target)
            address = parts._replace(fragment="").geturl()
            if parts.netloc == origin and address not in queued:
                queued.add(address)
                queue.append(address)
        assert len(queued) <= MAX_PAGES, sorted(queued)
    return reached


@pytest.mark.parametrize("locale", LOCALES)
def test_every_public_page_is_reached_from_the_landing_page(client, locale):
    landing = html(client.get("/"))
    switch = landing.select_one(f"nav.languages a[lang='{language_tag(locale)}']")
    assert switch is not None, f"no visible switch to {locale} on the landing page"
    start = urljoin(f"{client.base_url}/", switch["href"])

    reached = crawl(client, start)

    assert PUBLIC_PAGES <= reached.keys(), f"not reached: {PUBLIC_PAGES - reached.keys()}"
    assert {reached[path] for path in PUBLIC_PAGES} == {language_tag(locale)}, reached
