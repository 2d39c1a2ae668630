"""Hostile input (issue 7 item 4, SECURITY.md VAL-3/VAL-4, F8): arbitrary text in every
field of the public and participant forms never gives a 500.

PostgreSQL rejects NUL in text where SQLite stores it, so CI runs this file on both
databases (TANDEM_TEST_DATABASE_URL). Each test builds one client and lets hypothesis
send many submissions through it.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from tests.builders import csrf_token, db, html, make_region
from tests.web.test_signup import link_in_last_mail, valid_form
from web.app import create_app
from web.forms import clean_text

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACCEPTABLE = {303, 400, 429}
# The app under test (in the TestClient's thread) uses the global `random` while hypothesis
# draws; hypothesis then blames the strategy. Our strategies use no randomness of their own.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)

NASTY = [
    "\x00",
    "Nour\x00",
    "nour\x00@example.org",
    "\u202eevil\u202c",
    "\u2066\u2067\u2068\u2069",
    "\r\n\t\x0b\x0c\x1b[31m",
    "\ufeff\ufffe\uffff",
    "²",
    "١٩٩٠",
    "9" * 30,
    "-1990",
    " 1990 ",
    "1e3",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]
TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=300, max_size=3000),
    st.sampled_from(NASTY),
    # Long runs, built lazily (a 30 kB literal in sampled_from makes hypothesis warn).
    st.sampled_from([("1", 5000), ("x", 20_000), ("ü", 5000), ("\U0001f600", 1000)]).map(
        lambda run: run[0] * run[1]
    ),
)

SIGNUP_FIELDS = [
    *valid_form().keys(),
    "last_name",
    "about_me",
    "capacity",
    "online_ok",
    "language_3",
    "level_3",
]
EDIT_FIELDS = [name for name in SIGNUP_FIELDS if not name.startswith("consent_")]


@pytest.fixture
def fast_settings(settings):  # type: ignore[no-untyped-def]
    """The test's settings with a sign-up limit that many examples do not exhaust."""
    return settings.model_copy(update={"signup_limit_per_hour": 10_000})


@pytest.fixture
def kassel(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        make_region(session, "kassel")


def _post(client: TestClient, path: str, token: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("role", ["newcomer", "local"])
def test_sign_up_never_fails_on_any_text(fast_settings, kassel, role):
    with TestClient(app=create_app(fast_settings)) as client:
        token = csrf_token(client, f"/signup/{role}")

        @PROPERTY
        @given(overrides=st.dictionaries(st.sampled_from(SIGNUP_FIELDS), TEXT, max_size=4))
        @example(overrides={"first_name": "\x00", "about_me": "a\x00b"})
        @example(overrides={"email": "nour\x00@example.org", "first_name": "N\x00our"})
        @example(overrides={"birth_year": "²"})
        @example(overrides={"birth_year": "1" * 5000})
        @example(overrides={"place": "kassel-town\x00"})
        def check(overrides: dict[str, str]) -> None:
            response = _post(client, f"/signup/{role}", token, valid_form(**overrides))
            assert response.status_code in ACCEPTABLE, (overrides, response.text[:2000])
            if response.status_code == 400:
                typed = overrides.get("first_name", valid_form()["first_name"])
                shown = html(response).find("input", attrs={"name": "first_name"})
                assert shown is not None
                assert shown.get("value", "") == clean_text(typed, max_length=None)

        check()


def test_the_login_form_never_fails_on_any_text(client):
    token = csrf_token(client, "/login")
    email_text = TEXT  # NUL included: the login cleans the address like the sign-up does

    @settings(PROPERTY, max_examples=25)  # argon2 runs on every attempt; limit 30/min
    @given(
        email=email_text,
        password=TEXT,
        next_path=st.one_of(TEXT, st.sampled_from(["//evil.example", "/\\evil", "/ok"])),
    )
    @example(email="ada@example.org", password="\x00", next_path="\x00")
    def check(email: str, password: str, next_path: str) -> None:
        data = {"email": email, "password": password, "next": next_path}
        response = _post(client, "/login", token, data)
        assert response.status_code in ACCEPTABLE, (data, response.text[:2000])

    check()


def test_a_nul_in_the_login_e_mail_is_refused_not_a_500(client):
    token = csrf_token(client, "/login")
    response = _post(client, "/login", token, {"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400


def test_the_new_link_form_never_fails_on_any_text(client, kassel):
    token = csrf_token(client, "/me/new-link")

    @PROPERTY
    @given(email=TEXT)
    @example(email="nour\x00@example.org")
    def check(email: str) -> None:
        response = client.post(
            "/me/new-link", data={"email": email, "_csrf_token": token}, follow_redirects=False
        )
        assert response.status_code in {200, 400, 429}, (email, response.text[:2000])

    check()


def test_the_profile_edit_form_never_fails_on_any_text(fast_settings, engine, kassel):
    with TestClient(app=create_app(fast_settings)) as client:
        form_token = csrf_token(client, "/signup/local")
        signed_up = _post(client, "/signup/local", form_token, valid_form())
        assert signed_up.status_code == 303
        link = link_in_last_mail(engine, "/verify")
        verified = _post(client, f"/verify/{link}", csrf_token(client, f"/verify/{link}"), {})
        assert verified.status_code == 303
        token = csrf_token(client, "/me/edit")
        base = {k: v for k, v in valid_form().items() if not k.startswith("consent_")}

        @PROPERTY
        @given(overrides=st.dictionaries(st.sampled_from(EDIT_FIELDS), TEXT, max_size=4))
        @example(overrides={"first_name": "\x00", "last_name": "\x00", "about_me": "\x00"})
        @example(overrides={"birth_year": "²", "capacity": "\x00"})
        def check(overrides: dict[str, str]) -> None:
            response = _post(client, "/me/edit", token, {**base, **overrides})
            assert response.status_code in ACCEPTABLE, (overrides, response.text[:2000])

        check()


def test_a_one_megabyte_sign_up_is_refused_with_413(client, kassel):
    token = csrf_token(client, "/signup/newcomer")
    response = client.post(
        "/signup/newcomer",
        data={**valid_form(about_me="x" * 1024 * 1024), "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 413
