"""Dari is a language of its own (fa_AF), found from the browser, named so Afghans recognise it,
right-to-left, in pages and e-mails; language tags are BCP 47 wherever a browser reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.builders import (
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
    people,
    submit,
)
from web.core.i18n import LOCALES, from_accept_language, ui_locale
from web.core.mail import build_message, render
from web.core.models import Consent, OutboxMessage


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-AF", "fa_AF"),
        ("fa-af,fa;q=0.9", "fa_AF"),
        ("prs", "fa_AF"),  # Dari's ISO 639-3 code
        ("prs-AF, de;q=0.5", "fa_AF"),
        ("fa-Arab-AF", "fa_AF"),
        ("fa-IR", "fa"),
        ("fa", "fa"),
        ("DE-de", "de"),  # a code in any case is one of ours, never "DE" (no catalogue)
        ("de;q=0.2, fa-AF;q=0.9", "fa_AF"),  # the browser's order of preference counts
        ("ps, prs;q=0.8", "fa_AF"),  # Pashto we do not have; Dari comes next
        ("xx, zz;q=0.5", None),
        ("fa-AF;q=0", None),  # q=0: not wanted
        ("", None),
    ],
)
def test_the_browser_language_finds_dari(header, expected):
    assert from_accept_language(header) == expected


def test_a_dari_browser_gets_a_right_to_left_page_in_dari(client):
    page = html(client.get("/signup/newcomer", headers={"Accept-Language": "prs-AF,en;q=0.5"}))
    assert (page.html["lang"], page.html["dir"]) == ("fa-AF", "rtl")
    assert "قریه" in page.get_text()  # "Town or village": Dari says قریه, Iranian Persian روستا
    assert "روستا" not in page.get_text()


def test_the_language_switch_names_farsi_and_dari_apart(client):
    page = html(client.get("/?lang=fa_AF"))
    assert (page.html["lang"], page.html["dir"]) == ("fa-AF", "rtl")
    switch = {a["href"]: a for a in page.select("nav.languages a")}
    assert switch["?lang=fa"].get_text() == "فارسی" and switch["?lang=fa"]["lang"] == "fa"
    assert switch["?lang=fa_AF"].get_text() == "دری" and switch["?lang=fa_AF"]["lang"] == "fa-AF"
    assert switch["?lang=fa_AF"]["aria-current"] == "true"
    assert html(client.get("/")).html["lang"] == "fa-AF"  # remembered in the cookie


def test_every_language_tag_in_the_switch_is_bcp47(client):
    page = html(client.get("/?lang=de"))
    tags = [a["lang"] for a in page.select("nav.languages a")]
    assert len(tags) == len(LOCALES) and all("_" not in tag for tag in tags)


def test_farsi_and_dari_say_school_and_village_each_in_their_own_words(client):
    farsi = html(client.get("/signup/newcomer?lang=fa")).get_text()
    dari = html(client.get("/signup/newcomer?lang=fa_AF")).get_text()
    assert "مدرسه" in farsi and "روستا" in farsi
    assert "مکتب" in dari and "قریه" in dari and "مدرسه" not in dari


def test_a_dari_sign_up_is_stored_and_mailed_in_dari(client, engine, kassel):  # noqa: F811
    client.get("/?lang=fa_AF")
    response = submit(client)
    assert response.status_code == 303
    [person] = people(engine)
    assert person.locale == "fa_AF"
    with db(engine) as session:
        mail = session.scalars(select(OutboxMessage)).one()
        assert mail.locale == "fa_AF"
        message = build_message(mail, mail_from="Tandem <t@example.org>", now=datetime.now(UTC))
    assert message["Content-Language"] == "fa-AF"
    assert 'lang="fa-AF" dir="rtl"' in (mail.body_html or "")


def test_dari_e_mails_are_right_to_left():
    rendered = render(
        "verify_address", "fa_AF", {"first_name": "Zahra", "url": "http://x/verify/abc"}
    )
    assert 'lang="fa-AF" dir="rtl"' in rendered.html
    assert "Zahra" in rendered.text and "ایمیل" in rendered.text
    assert ui_locale("fa_AF").direction == "rtl" and ui_locale("fa_AF").name == "دری"


def test_a_coordinator_reads_the_name_of_a_persons_language_not_its_code(client, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        zahra = make_participant(session, kassel, first_name="Zahra", locale="fa_AF")
        session.add(
            Consent(
                participant_id=zahra.id, purpose="matching", text_version="v1", language="fa_AF"
            )
        )
        session.flush()
        zahra_id = zahra.public_id
    login(client, "alice@example.org")
    page = html(client.get(f"/coordinator/participants/{zahra_id}?lang=de"))
    assert page.select_one('dd[data-field="locale"]').get_text(strip=True) == "Dari"
    assert "Dari" in page.select_one('li[data-consent="matching"]').get_text()
    assert "fa_AF" not in page.get_text()


@pytest.mark.parametrize(
    ("locale", "tandem_word", "dating"),
    [
        ("en", "tandem partner", "I would like to meet"),
        ("ru", "тандем", "встречаться с"),
        ("uk", "тандем", "зустрічатися з"),
        ("fa", "تاندم", "آشنا شوم با"),
        ("fa_AF", "تاندم", "آشنا شوم با"),
        ("ar", "التاندم", "أرغب في لقاء"),
    ],
)
def test_the_partner_question_asks_about_the_tandem_partner(client, locale, tandem_word, dating):
    # "I would like to meet" + "a woman" read like a dating form in ru, uk, fa and ar.
    page = html(client.get(f"/signup/newcomer?lang={locale}"))
    question = page.find("input", attrs={"name": "partner_wish"}).find_parent("fieldset")
    text = question.get_text(" ", strip=True)
    assert tandem_word in question.legend.get_text() and dating not in text
    assert len(question.select("input[name=partner_wish]")) == 3
