"""The page a broken, used or old link leads to reads as sentences in every language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.builders import csrf_token, db, html, make_participant, make_region
from web.core import links
from web.core.i18n import LOCALES, translations
from web.core.models import utcnow


def problem_text(client, path: str, locale: str) -> str:
    client.get(f"/?lang={locale}")  # the visitor chose this language on an earlier page
    response = client.post(path, data={"_csrf_token": csrf_token(client, path)})
    assert response.status_code == 400
    paragraph = html(response).find("main").find("p")
    return re.sub(r"\s+", " ", paragraph.get_text()).strip()


@pytest.mark.parametrize("locale", LOCALES)
def test_it_keeps_a_space_between_the_sentences(client, locale):
    gettext = translations(locale).gettext
    text = problem_text(client, "/verify/not-a-real-token", locale)
    first = gettext("The link is not complete or not valid.")
    second = gettext("You can ask for a new one:")
    assert f"{first} {second}" in text, text


def test_it_names_an_old_link_as_too_old(client, engine):
    with db(engine) as session:
        person = make_participant(session, make_region(session, "kassel"))
        raw = links.issue(
            session, person, "profile", now=utcnow() - timedelta(days=2), lifetime=timedelta(days=1)
        )
    text = problem_text(client, f"/me/open/{raw}", "de")
    german = translations("de").gettext
    too_old, ask_again = german("The link is too old."), german("You can ask for a new one:")
    assert text.startswith(f"{too_old} {ask_again}")
