"""The landing page leads somewhere: a way in for each role, what happens next, and the
links people look for, in every language."""

from __future__ import annotations

import pytest

from tests.builders import html
from web.core.i18n import LOCALES, language_tag, translations


def landing(client, locale: str):  # type: ignore[no-untyped-def]
    page = html(client.get(f"/?lang={locale}"))
    assert page.html["lang"] == language_tag(locale)
    return page


@pytest.mark.parametrize("locale", LOCALES)
def test_it_leads_each_role_to_its_sign_up_form(client, locale):
    gettext = translations(locale).gettext
    buttons = landing(client, locale).select(".calls a")
    calls = [(a["href"], a.get_text(strip=True)) for a in buttons]
    assert calls == [
        ("/signup/newcomer", gettext("I am new here — find a partner")),
        ("/signup/local", gettext("I live here — offer my time")),
    ]
    for href, _ in calls:  # each one opens its form, still in the chosen language
        form = html(client.get(href))
        assert form.html["lang"] == language_tag(locale)
        assert form.find("form", id="participant-form")["action"] == href


def test_the_ways_in_come_before_any_text_to_read(client):
    main = landing(client, "ar").find("main")
    first_elements = [tag.name for tag in main.find("section").find_all(recursive=False)]
    assert first_elements[:2] == ["h1", "div"], "the buttons follow the heading directly"


@pytest.mark.parametrize("locale", LOCALES)
def test_it_says_in_three_steps_what_happens_next(client, locale):
    gettext = translations(locale).gettext
    steps = landing(client, locale).select("ol.steps > li")
    assert [step.get_text(" ", strip=True) for step in steps] == [
        gettext("You sign up and confirm your e-mail address."),
        gettext("A coordinator looks at your sign-up."),
        gettext("You get a partner proposal by e-mail, and you meet."),
    ]
    for step in steps:  # a picture each, drawn in the page and hidden from screen readers
        picture = step.find("svg")
        assert picture["aria-hidden"] == "true" and picture.find(["path", "rect", "circle"])


def test_the_pictures_need_no_inline_style_nor_other_files(client):
    page = landing(client, "de")
    assert not page.select("[style], style, script, img")  # the CSP allows none of them inline


@pytest.mark.parametrize("locale", LOCALES)
def test_it_links_to_my_profile_and_the_privacy_notice(client, locale):
    gettext = translations(locale).gettext
    links = {a["href"]: a.get_text(strip=True) for a in landing(client, locale).select("main a")}
    assert links["/me/new-link"] == gettext("Get a new link to my profile")
    assert links["/privacy"] == gettext("Privacy notice")
    assert links["/login"] == gettext("Coordinator login")
    for href in ("/me/new-link", "/privacy"):
        assert html(client.get(href)).html["lang"] == language_tag(locale)
