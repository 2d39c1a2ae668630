from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from litestar.testing import TestClient
from sqlalchemy import select, update

from tests.builders import (
    csrf_token,
    db,
    html,
    link_in_last_mail,
    make_region,
    people,
    submit,
    valid_form,
)
from web.app import create_app
from web.core.models import (
    AuditLog,
    Consent,
    Event,
    OutboxMessage,
    Participant,
    Place,
    Region,
    utcnow,
)
from web.core.participants import CONSENT_TEXT_VERSION


@pytest.mark.parametrize("locale", ["de", "ar"])
def test_a_newcomer_signs_up_in_their_language(client, engine, kassel, locale):
    client.get(f"/?lang={locale}")
    response = submit(client)
    assert response.status_code == 303 and response.headers["location"] == "/signup/sent"
    [nour] = people(engine)
    assert (nour.role, nour.status, nour.locale) == ("newcomer", "unverified", locale)
    assert {(s.language, s.level) for s in nour.languages} == {("ar", "native"), ("de", "A2")}
    assert nour.interests == ["cooking", "football"]
    assert nour.help_topics == ["language_practice", "paperwork"]
    assert nour.slots == ["tue_evening", "sat_morning"]
    assert nour.partner_genders == ["female"] and nour.learning == ["de"]
    assert nour.waiting_since == utcnow().date()
    assert (nour.capacity, nour.open_tandems, nour.online_ok, nour.phone) == (1, 0, False, None)
    assert len(nour.public_id) == 32 and nour.created_at == nour.updated_at
    assert nour.verified_at is None and nour.approved_at is None
    with db(engine) as session:
        [event] = session.scalars(select(Event)).all()
        assert (event.kind, event.role, event.languages) == ("signed_up", "newcomer", ["ar", "de"])
        assert event.region_id == session.get(Place, nour.place_id).region_id  # type: ignore[union-attr]
    assert {(c.purpose, c.text_version, c.language) for c in nour.consents} == {
        ("matching", CONSENT_TEXT_VERSION, locale),
        ("contact_sharing", CONSENT_TEXT_VERSION, locale),
    }
    with db(engine) as session:
        [message] = session.scalars(select(OutboxMessage)).all()
        assert message.to_address == "nour@example.org" and message.locale == locale
        assert message.kind == "verify_address"


def test_a_local_signs_up_with_a_capacity(client, engine, kassel):
    response = submit(
        client, "local", email="lena@example.org", capacity="2", help_topics=["paperwork"]
    )
    assert response.status_code == 303
    [lena] = people(engine)
    assert (lena.role, lena.capacity, lena.waiting_since) == ("local", 2, None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_name": "  "}, "first_name"),
        ({"email": "nour-at-example"}, "email"),
        ({"place": "Atlantis"}, "place"),
        ({"place": ""}, "place"),
        ({"level_1": "B3"}, "languages"),
        ({"language_1": "xx"}, "languages"),
        ({"language_2": "ar", "level_2": "B1"}, "languages"),
        ({"language_1": None, "level_1": None, "language_2": None, "level_2": None}, "languages"),
        ({"interests": ["cooking", "surfing-on-lava"]}, "interests"),
        ({"slots": ["someday_night"]}, "slots"),
        ({"slots": None}, "slots"),
        ({"help_topics": None}, "help_topics"),
        ({"gender": "robot"}, "gender"),
        ({"partner_wish": "robot"}, "partner_wish"),
        ({"birth_year": "nineteen"}, "birth_year"),
        ({"birth_year": "1850"}, "birth_year"),
        ({"birth_year": str(utcnow().year - 15)}, "birth_year"),
        ({"consent_matching": None}, "consent_matching"),
        ({"consent_contact": None}, "consent_contact"),
    ],
)
def test_bad_input_comes_back_with_a_message_and_the_input_kept(
    client, engine, kassel, overrides, field
):
    response = submit(client, **overrides)
    assert response.status_code == 400
    page = html(response)
    assert page.find(id=f"f-{field}-error") is not None
    errors = [e.get_text(strip=True) for e in page.select(".error")]
    assert len(errors) == 1, errors
    # What the person typed is still there.
    first_name = page.find("input", attrs={"name": "first_name"})["value"]
    assert first_name == (overrides.get("first_name") or "Nour").strip()
    assert page.find("input", attrs={"name": "slots", "value": "tue_evening"}).has_attr(
        "checked"
    ) == ("slots" not in overrides)
    assert people(engine) == []


def test_under_sixteen_is_refused_kindly(client, kassel):
    page = html(submit(client, birth_year=str(utcnow().year - 14)))
    assert "16" in page.find(id="f-birth_year-error").get_text()


def test_a_capacity_outside_one_to_three_is_refused(client, engine, kassel):
    response = submit(client, "local", capacity="7")
    assert response.status_code == 400
    assert html(response).find(id="f-capacity-error") is not None


def test_names_and_free_text_are_cleaned(client, engine, kassel):
    submit(
        client,
        first_name="  Nou\u202er\u0000  ",
        about_me="Hallo\u202e\x07 Welt\r\nZeile 2",
        last_name="Cafe\u0301",
    )
    [nour] = people(engine)
    assert nour.first_name == "Nour"
    assert nour.last_name == "Café"  # NFC: one code point
    assert nour.about_me == "Hallo Welt\nZeile 2"


def test_persian_joiners_survive_cleaning(client, engine, kassel):
    submit(client, first_name="مهر\u200cناز")
    assert people(engine)[0].first_name == "مهر\u200cناز"


def test_the_language_switch_keeps_what_was_typed(client, engine, kassel):
    data = {
        **valid_form(first_name="Olena"),
        "_switch_lang": "ar",
        "_csrf_token": csrf_token(client, "/signup/newcomer"),
    }
    response = client.post("/signup/newcomer", data=data)
    assert response.status_code == 200
    page = html(response)
    assert page.html["dir"] == "rtl" and page.html["lang"] == "ar"
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Olena"
    assert page.select(".error") == []
    assert people(engine) == []


def test_the_honeypot_stores_nothing(client, engine, kassel):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 303
    assert people(engine) == []


def test_sign_ups_are_rate_limited_per_address(settings, engine, kassel):
    limited = settings.model_copy(update={"signup_limit_per_hour": 2})
    with TestClient(app=create_app(limited)) as client:
        assert submit(client, email="a@example.org").status_code == 303
        assert submit(client, email="b@example.org").status_code == 303
        third = submit(client, email="c@example.org")
        assert third.status_code == 429
        assert client.get("/signup/newcomer").status_code == 200  # reading is not limited
    assert len(people(engine)) == 2


def mails_to(engine, address: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        found = select(OutboxMessage).where(OutboxMessage.to_address == address)
        return list(session.scalars(found.order_by(OutboxMessage.id)))


def test_signing_up_again_tells_the_owner_and_the_visitor_nothing(client, engine, kassel):
    client.get("/?lang=en")
    submit(client)
    with db(engine) as session:  # she confirmed her address and was approved since
        session.execute(update(Participant).values(status="active"))
    an_hour_later = utcnow() + timedelta(hours=1, minutes=1)
    with time_machine.travel(an_hour_later, tick=False):
        again = submit(client, first_name="Someone else", email="NOUR@example.org")
        stranger = submit(client, email="stranger@example.org")
    assert again.status_code == stranger.status_code == 303
    assert again.headers["location"] == stranger.headers["location"] == "/signup/sent"
    nour = next(person for person in people(engine) if person.email == "nour@example.org")
    assert (nour.first_name, nour.status) == ("Nour", "active")  # nothing was changed

    verify, told = mails_to(engine, "nour@example.org")
    assert (verify.kind, told.kind, told.locale) == ("verify_address", "signup_again", "en")
    assert told.subject == "Someone tried to sign up for Tandem again with your address"
    text = " ".join(told.body_text.split())
    assert "someone – perhaps you – has just tried to sign up for Tandem again" in text
    assert "nothing was changed" in text and '"Edit my profile"' in text
    assert "http://127.0.0.1:8000/me/open/" in text and "http://127.0.0.1:8000/verify/" not in text
    # The link in it opens her profile.
    token = re.search(r"/me/open/([^?\s]+)", told.body_text).group(1)  # type: ignore[union-attr]
    opened = client.post(
        f"/me/open/{token}",
        data={"_csrf_token": csrf_token(client, f"/me/open/{token}")},
        follow_redirects=False,
    )
    assert opened.status_code == 303 and opened.headers["location"] == "/me"


def test_a_repeated_sign_up_mails_the_owner_at_most_once_an_hour(client, engine, kassel):
    client.get("/?lang=en")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        submit(client)
        submit(client)  # a double click
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        submit(client)
    assert [m.kind for m in mails_to(engine, "nour@example.org")] == ["verify_address"]
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        submit(client)
        submit(client)
    with time_machine.travel(start + timedelta(minutes=120), tick=False):
        submit(client)  # 59 minutes after the last e-mail
    kinds = [m.kind for m in mails_to(engine, "nour@example.org")]
    assert kinds == ["verify_address", "signup_again"]
    # Not confirmed yet: the e-mail brings a link that confirms the address first.
    told = mails_to(engine, "nour@example.org")[-1]
    assert "/verify/" in told.body_text and "not confirmed yet" in told.body_text
    assert len(people(engine)) == 1


def test_the_confirmation_link_opens_in_the_sign_up_language_on_any_device(
    client, engine, kassel, settings
):
    client.get("/?lang=ar")
    submit(client)
    link = link_in_last_mail(engine, "/verify")
    token = link.split("?")[0]
    # A shelter's computer: another browser, no cookies, a German browser.
    with TestClient(app=create_app(settings)) as shelter_pc:
        shelter_pc.headers["accept-language"] = "de"
        assert not shelter_pc.cookies
        page = html(shelter_pc.get(f"/verify/{link}"))
        assert (page.html["lang"], page.html["dir"]) == ("ar", "rtl")
        assert page.find("h1").get_text() != "Bestätigen Sie Ihre E-Mail-Adresse"
        form_token = page.find("input", attrs={"name": "_csrf_token"})["value"]
        shelter_pc.cookies.delete("tandem_lang")  # the choice the link made is not needed
        confirmed = shelter_pc.post(
            f"/verify/{token}", data={"_csrf_token": form_token}, follow_redirects=False
        )
        assert confirmed.status_code == 303
        profile = html(shelter_pc.get(confirmed.headers["location"]))
        assert profile.html["lang"] == "ar"


def test_confirming_the_address_is_single_use_and_needs_a_post(client, engine, kassel):
    submit(client)
    token = link_in_last_mail(engine, "/verify")
    assert client.get(f"/verify/{token}").status_code == 200
    assert people(engine)[0].status == "unverified"  # a GET (or a mail scanner) changes nothing
    form_token = csrf_token(client, f"/verify/{token}")
    confirmed = client.post(
        f"/verify/{token}", data={"_csrf_token": form_token}, follow_redirects=False
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"].startswith("/me")
    [nour] = people(engine)
    assert nour.status == "pending" and nour.verified_at is not None
    assert "Nour" in html(client.get("/me")).find("h1").get_text()
    again = client.post(f"/verify/{token}", data={"_csrf_token": form_token})
    assert again.status_code == 400


def test_an_expired_confirmation_link_is_refused(client, engine, kassel, settings):
    submit(client)
    token = link_in_last_mail(engine, "/verify")
    later = utcnow() + timedelta(hours=settings.verify_link_hours, minutes=1)
    form_token = csrf_token(client, f"/verify/{token}")
    with time_machine.travel(later, tick=False):
        response = client.post(f"/verify/{token}", data={"_csrf_token": form_token})
    assert response.status_code == 400
    assert people(engine)[0].status == "unverified"


def test_sign_up_is_audited_without_personal_data(client, engine, kassel):
    submit(client)
    with db(engine) as session:
        [entry] = session.scalars(select(AuditLog)).all()
        assert entry.action == "participant.signed_up"
        assert "nour" not in f"{entry.subject_id}{entry.subject_type}".lower()


def test_only_places_in_served_regions_are_offered(client, engine, kassel):
    with db(engine) as session:
        make_region(session, "goettingen")
    options = {o["value"] for o in html(client.get("/signup/newcomer")).select("#places option")}
    assert options == {"kassel-town", "goettingen-town"}


def test_a_town_of_a_region_added_after_the_list_was_taken_is_accepted_at_once(
    client, engine, kassel
):
    assert submit(client, email="first@example.org").status_code == 303  # the list is taken
    with db(engine) as session:
        make_region(session, "goettingen")
    assert submit(client, email="second@example.org", place="goettingen-town").status_code == 303
    assert sorted(person.place.name for person in people_with_places(engine)) == [
        "goettingen-town",
        "kassel-town",
    ]


def test_the_largest_of_two_served_towns_with_one_name_is_chosen(client, engine, kassel):
    with db(engine) as session:
        region = session.scalars(select(Region)).one()
        for population in (50, 5000, 500):
            session.add(
                Place(geonameid=990000 + population, name="Lohfelden", lat=51.27, lon=9.53,
                      population=population, region_id=region.id)
            )  # fmt: skip
    assert submit(client, place="Lohfelden").status_code == 303
    [nour] = people_with_places(engine)
    assert nour.place.population == 5000


def people_with_places(engine) -> list[Participant]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        found = session.scalars(select(Participant)).all()
        for person in found:
            _ = person.place
        return list(found)


def test_the_privacy_notice_names_the_consent_version(client):
    page = html(client.get("/privacy?lang=en"))
    assert CONSENT_TEXT_VERSION in page.get_text()
    assert page.find("h1").get_text() == "Privacy notice"


def test_consents_are_stored_per_purpose(client, engine, kassel):
    submit(client)
    with db(engine) as session:
        assert sorted(session.scalars(select(Consent.purpose)).all()) == [
            "contact_sharing",
            "matching",
        ]


def test_the_blank_form_is_shared_but_every_visitor_gets_their_own_token(settings):
    # The empty form is rendered once per role and language; the CSRF field is not.
    app = create_app(settings)
    tokens, languages = set(), set()
    for locale in ("de", "ar", "de"):
        with TestClient(app=app) as visitor:  # a new visitor: no cookies yet
            page = html(visitor.get("/signup/newcomer", headers={"Accept-Language": locale}))
            token = page.find("input", attrs={"name": "_csrf_token"})["value"]
            tokens.add(token)
            languages.add(page.html["lang"])
            assert visitor.cookies.get("tandem_csrf")  # the cookie the token belongs to
            assert "\x00" not in page.decode()
    assert len(tokens) == 3
    assert languages == {"de", "ar"}
