"""The participant form tells the truth (issue 13 §3, and the birth year of §8).

The browser is told what the server checks (required, maxlength), every error comes at
once and is linked from the summary, a town may be typed in the person's own script,
right-to-left pages keep addresses and examples left to right, and a Solar Hijri year
of birth is understood in Persian.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.builders import (
    csrf_token,
    db,
    html,
    make_participant,
    make_region,
    open_profile,
    people,
    submit,
    valid_form,
)
from web.core import place_names, places
from web.core.forms import MAX_LENGTHS, SOLAR_HIJRI_LOCALES, parse_participant_form
from web.core.models import Participant, Place, Region
from web.core.participants import served_place
from web.core.settings import ROOT

THIS_YEAR = 2026
LONG_NAME = "Nour" * 1250  # 5,000 characters
TEXT_FIELDS = ("first_name", "last_name", "email", "place", "about_me")


@pytest.fixture
def kassel(engine) -> None:  # type: ignore[no-untyped-def]
    """The Kassel region with the real town of Kassel (as the gazetteer names it) in it."""
    town = places.find_place("Kassel")
    with db(engine) as session:
        region = make_region(session, "kassel")
        session.add(
            Place(
                geonameid=town.geonameid,
                name=town.name,
                lat=town.lat,
                lon=town.lon,
                population=town.population,
                region_id=region.id,
            )
        )


def form_page(client, role: str = "newcomer", lang: str = "de") -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return html(client.get(f"/signup/{role}?lang={lang}"))


def errors_of(page: BeautifulSoup) -> dict[str, str]:
    """Field name → the error shown next to it."""
    return {
        tag["id"].removeprefix("f-").removesuffix("-error"): tag.get_text(" ", strip=True)
        for tag in page.select("p.error[id]")
    }


# --- 1. the field macro ------------------------------------------------------------------------


def test_the_email_field_is_required_and_linked_to_its_hint(client, kassel):
    email = form_page(client).find("input", attrs={"name": "email"})
    assert email.has_attr("required")
    assert email["aria-describedby"].split() == ["f-email-hint"]
    assert not [name for name in email.attrs if name.startswith("required") and name != "required"]


def test_after_an_error_the_fields_are_marked_invalid_and_point_at_their_messages(client, kassel):
    page = html(submit(client, first_name="", email="not-an-address"))
    assert not page.find("input", attrs={"name": "birth_year"}).has_attr("aria-invalid")
    for name in ("first_name", "email"):
        field = page.find("input", attrs={"name": name})
        assert field["aria-invalid"] == "true"
        described = field["aria-describedby"].split()
        assert f"f-{name}-error" in described
        assert all(page.find(id=target) for target in described)
    assert page.find("input", attrs={"name": "first_name"}).has_attr("required")


# --- 2. nothing is cut off silently ------------------------------------------------------------


@pytest.mark.parametrize("role", ["local", "newcomer"])
def test_every_text_field_says_how_long_it_may_be(client, kassel, role):
    page = form_page(client, role)
    for name in TEXT_FIELDS:
        control = page.find(["input", "textarea"], attrs={"name": name})
        assert control["maxlength"] == str(MAX_LENGTHS[name]), name
    assert page.find("input", attrs={"name": "birth_year"})["maxlength"] == "4"


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_too_long_text_is_refused_with_its_limit_not_cut(client, engine, kassel, name):
    too_long = "a" * (MAX_LENGTHS[name] + 1)
    value = too_long if name != "email" else too_long[: -len("@example.org")] + "@example.org"
    response = submit(client, **{name: value})
    assert response.status_code == 400
    page = html(response)
    assert str(MAX_LENGTHS[name]) in errors_of(page)[name]
    control = page.find(["input", "textarea"], attrs={"name": name})
    assert (control.get("value") if control.name == "input" else control.get_text()) == value
    assert people(engine) == []


def test_a_5000_character_name_is_not_stored_as_its_first_80(client, engine, kassel):
    client.get("/?lang=en")
    response = submit(client, first_name=LONG_NAME)
    assert response.status_code == 400
    assert errors_of(html(response))["first_name"] == (
        "Please shorten this to at most 80 characters."
    )
    assert people(engine) == []


def test_the_profile_edit_refuses_too_long_text_as_well(client, engine, kassel):
    with db(engine) as session:
        region = session.scalars(select(Region)).one()
        person_id = make_participant(session, region, first_name="Nour").id
    open_profile(client, engine, person_id)
    data = {
        **valid_form(first_name=LONG_NAME),
        "_csrf_token": csrf_token(client, "/me/edit"),
    }
    response = client.post("/me/edit", data=data, follow_redirects=False)
    assert response.status_code == 400
    assert "80" in errors_of(html(response))["first_name"]
    with db(engine) as session:
        assert session.get(Participant, person_id).first_name == "Nour"


# --- 3. every error at once, and a summary that leads to them --------------------------------


def test_the_town_is_checked_together_with_the_other_fields(client, kassel):
    page = html(submit(client, email="nobody", place="Atlantis"))
    assert set(errors_of(page)) >= {"email", "place"}


def test_the_error_summary_links_every_error_to_its_field_and_takes_the_focus(client, kassel):
    response = submit(
        client,
        first_name="",
        email="nobody",
        place="Atlantis",
        slots=None,
        consent_contact=None,
        gender="robot",
        language_1="xx",
    )
    page = html(response)
    summary = page.select_one(".error-summary")
    assert summary["tabindex"] == "-1" and summary.has_attr("autofocus")
    linked = [a["href"] for a in summary.find_all("a")]
    shown = errors_of(page)
    assert linked == [f"#f-{name}" for name in shown], "one link per error, in form order"
    for target in linked:
        control = page.find(id=target[1:])
        assert control is not None and control.name in ("input", "select", "textarea"), target
    assert set(shown) >= {"first_name", "email", "place", "slots", "consent_contact", "gender"}


# --- 4. a town in the person's own script -------------------------------------------------------


@pytest.mark.parametrize("typed", ["كاسل", "Кассель", "کاسل", "kassel", "Cassel"])
def test_a_town_typed_in_another_script_is_found(engine, kassel, typed):
    with db(engine) as session:
        found = served_place(session, typed)
        kassel_town = session.scalars(select(Place).where(Place.name == "Kassel")).one()
        assert found is not None and found.id == kassel_town.id


def test_signing_up_with_the_town_in_arabic_letters_stores_kassel(client, engine, kassel):
    client.get("/?lang=ar")
    assert submit(client, place="كاسل").status_code == 303
    with db(engine) as session:
        person = session.scalars(select(Participant)).one()
        assert person.place.name == "Kassel"


def test_a_served_name_in_other_letter_case_needs_no_gazetteer(engine, kassel, monkeypatch):
    def not_needed() -> dict[str, str]:
        raise AssertionError("the gazetteer was read")

    monkeypatch.setattr(place_names, "_names_by_key", not_needed)
    with db(engine) as session:
        assert served_place(session, "KASSEL-TOWN") == served_place(session, "kassel-town")
    assert place_names.is_served("KASSEL-town", ["kassel-town"])


def test_a_main_name_wins_over_another_places_old_name():
    # "Kasel" is a village near Trier and an old spelling of Kassel.
    assert place_names.gazetteer_name("Kasel") == "Kasel"
    assert place_names.gazetteer_name("Кассель") == "Kassel"
    assert place_names.gazetteer_name("Atlantis") is None


def test_an_unknown_town_in_another_script_asks_for_latin_letters_with_an_example(client, kassel):
    client.get("/?lang=ar")
    page = html(submit(client, place="مدينة الأحلام"))
    error = page.find(id="f-place-error")
    assert "اللاتينية" in error.get_text()
    example = error.find("bdi")
    assert example.get_text() == "Kassel" and example["dir"] == "ltr"
    # A Latin name that is not served gets the plain message, without the Latin hint.
    client.get("/?lang=en")
    assert errors_of(html(submit(client, place="Atlantis")))["place"] == (
        "Please choose your town or village from the list."
    )


# --- 5. right to left ---------------------------------------------------------------------


def test_left_to_right_values_stay_left_to_right_on_arabic_pages(client, kassel):
    page = form_page(client, lang="ar")
    assert page.html["dir"] == "rtl"
    assert page.find("input", attrs={"name": "email"})["dir"] == "ltr"
    for name in ("first_name", "last_name", "place"):
        assert page.find("input", attrs={"name": name})["dir"] == "auto", name
    assert page.find("textarea", attrs={"name": "about_me"})["dir"] == "auto"
    error = html(submit(client, email="nobody")).find(id="f-email-error")
    assert error.find("bdi", attrs={"dir": "ltr"}).get_text() == "name@example.org"


@pytest.mark.parametrize(("locale", "separator"), [("fa", "،"), ("ar", " و"), ("de", " und ")])
def test_the_profile_shows_the_address_left_to_right_and_lists_in_the_locales_way(
    client, engine, kassel, locale, separator
):
    with db(engine) as session:
        region = session.scalars(select(Region)).one()
        person = make_participant(
            session, region, email="nour@example.org", locale=locale,
            languages={"ar": "native", "de": "A2", "en": "B1"},
        )  # fmt: skip
        person_id = person.id
    open_profile(client, engine, person_id)
    page = html(client.get("/me"))
    answers = page.select_one("dl.answers")
    assert answers.find("bdi", attrs={"dir": "ltr"}).get_text() == "nour@example.org"
    languages = answers.find_all("dd")[3].get_text()
    assert separator in languages
    if locale != "de":
        assert "," not in languages  # not the Latin comma


# --- 6. labels beside their control, a visible focus ring ---------------------------------------


def contrast(colour: str, other: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_against_white():
    css = (ROOT / "static" / "tandem.css").read_text(encoding="utf-8")
    focus = re.search(r"--focus:\s*(#[0-9a-fA-F]{6})", css).group(1)
    assert contrast(focus) >= 3.0, focus
    assert re.search(r":focus-visible\s*\{[^}]*var\(--focus\)", css)


# --- 7. birth years in the Solar Hijri calendar -----------------------------------------------


def parse_year(typed: str, locale: str):  # type: ignore[no-untyped-def]
    return parse_participant_form(
        {"birth_year": typed}, role="newcomer", this_year=THIS_YEAR, locale=locale
    )


@pytest.mark.parametrize(
    ("typed", "locale", "stored", "solar"),
    [
        ("1369", "fa", "1990", "1369"),
        ("۱۳۶۹", "fa", "1990", "1369"),  # Persian digits
        ("١٣٦٩", "fa", "1990", "1369"),  # Arabic-Indic digits
        ("1990", "fa", "1990", ""),  # a Gregorian year stays what it is
        ("۱۹۹۰", "fa", "1990", ""),
        ("١٩٩٠", "ar", "1990", ""),  # Arabic-Indic digits in any language
        ("1279", "fa", "1900", "1279"),  # the earliest year taken
    ],
)
def test_a_year_of_birth_is_read_in_the_readers_calendar_and_digits(typed, locale, stored, solar):
    form = parse_year(typed, locale)
    assert "birth_year" not in form.errors
    assert (form.birth_year, form.solar_hijri_year) == (stored, solar)


@pytest.mark.parametrize("locale", ["de", "ar", "en"])
def test_outside_the_solar_hijri_locales_1369_stays_an_error(locale):
    assert "birth_year" in parse_year("1369", locale).errors


def test_the_locale_list_decides_including_dari():
    assert {"fa", "fa_AF"} <= SOLAR_HIJRI_LOCALES
    assert parse_year("1369", "fa_AF").birth_year == "1990"


def test_a_solar_hijri_year_too_recent_is_still_the_age_check():
    form = parse_year(str(THIS_YEAR - 621 - 10), "fa")  # ten years old
    assert "16" in form.errors["birth_year"]


def test_the_persian_form_hints_at_both_calendars_and_shows_the_converted_year(client, kassel):
    hint = form_page(client, lang="fa").find(id="f-birth_year-hint").get_text()
    assert "1990" in hint and "1369" in hint
    assert "1369" not in form_page(client, lang="de").find(id="f-birth_year-hint").get_text()
    client.get("/?lang=fa")
    page = html(submit(client, birth_year="۱۳۶۹", email="nobody"))
    assert page.find("input", attrs={"name": "birth_year"})["value"] == "1990"
    shown = page.find(id="f-birth_year-converted").get_text()
    assert "1369" in shown and "1990" in shown and "1991" in shown


def test_a_persian_sign_up_with_1369_stores_1990(client, engine, kassel):
    client.get("/?lang=fa")
    assert submit(client, birth_year="1369").status_code == 303
    [person] = people(engine)
    assert person.birth_year == 1990


def test_the_app_reads_the_gazetteer_names_when_it_starts(settings):
    """The first town typed in another script must not hold up a batch of sign-ups for the
    seconds it takes to read the gazetteer: the app starts that read in a thread."""
    import threading

    from litestar.testing import TestClient

    from web.app import create_app

    place_names._names_by_key.cache_clear()
    with TestClient(app=create_app(settings)):
        for thread in threading.enumerate():
            if thread.name == "gazetteer-warm-up":
                thread.join(timeout=60)
        assert place_names._names_by_key.cache_info().currsize == 1
