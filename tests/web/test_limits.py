"""Per-address rate limits (web.core.limits): one committed upsert per limited request.

SECURITY.md RL-1 (sign-up per address, 429 with RateLimit-* headers), RL-2 (the login
limit and the sign-up limit keep separate counters) and F4 (counters in the database).
"""

from __future__ import annotations

import argparse
import re
import sqlite3
from datetime import timedelta

import pytest
import time_machine
from litestar.exceptions import TooManyRequestsException
from litestar.testing import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from tests.builders import (
    HOUR,
    T0,
    counters,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_region,
    people,
    submit,
    valid_form,
)
from tests.conftest import POSTGRES_URL
from web.app import create_app
from web.cli import cmd_purge
from web.core import limits
from web.core.db import create_db_engine
from web.core.models import Region, utcnow
from web.login.routes import LOGIN_LIMIT

CLIENT = "192.0.2.7"
RATE_HEADERS = ("RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@pytest.fixture
def kassel(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])


@pytest.fixture
def app_with_two_sign_ups(settings):  # type: ignore[no-untyped-def]
    return create_app(settings.model_copy(update={"signup_limit_per_hour": 2}))


def test_spending_the_sign_up_limit_leaves_the_login_alone(app_with_two_sign_ups, kassel, engine):
    with time_machine.travel(T0, tick=False), TestClient(app=app_with_two_sign_ups) as client:
        statuses = [
            submit(client, email=f"{n}@example.org").status_code
            for n in range(LOGIN_LIMIT.hits)  # refused ones count too: as many as a login allows
        ]
        assert statuses == [303, 303] + [429] * (LOGIN_LIMIT.hits - 2)
        assert login(client, "alice@example.org").status_code == 303
    assert counters(engine) == {
        ("signup_post", "testclient"): 30,
        ("signup", "testclient"): 20,  # past 20 posts (10 x 2) the attempts are refused first
        ("login", "testclient"): 1,
    }


def test_spending_the_login_limit_leaves_the_sign_up_alone(app_with_two_sign_ups, kassel, engine):
    with time_machine.travel(T0, tick=False), TestClient(app=app_with_two_sign_ups) as client:
        for n in range(LOGIN_LIMIT.hits):  # other accounts each time: no per-account delay
            assert login(client, f"user{n}@example.org", password="guess").status_code == 400
        assert login(client, "alice@example.org").status_code == 429
        # The code form counts in the same budget (the handler refuses before it looks).
        code = {"code": "123456", "_csrf_token": csrf_token(client, "/login")}
        assert client.post("/login/code", data=code, follow_redirects=False).status_code == 429
        assert submit(client).status_code == 303
    assert [person.email for person in people(engine)] == ["nour@example.org"]
    assert counters(engine) == {
        ("login", "testclient"): 32,
        ("signup_post", "testclient"): 1,
        ("signup", "testclient"): 1,
    }


def test_switching_the_language_and_correcting_mistakes_do_not_count_as_sign_ups(
    app_with_two_sign_ups, kassel, engine
):
    with time_machine.travel(T0, tick=False), TestClient(app=app_with_two_sign_ups) as client:
        token = csrf_token(client, "/signup/newcomer")
        for locale in ("ar", "fa", "de"):
            data = {**valid_form(), "_switch_lang": locale, "_csrf_token": token}
            assert client.post("/signup/newcomer", data=data).status_code == 200
        assert submit(client, email="not an address").status_code == 400
        assert submit(client, first_name="").status_code == 400
        assert submit(client, place="Atlantis").status_code == 400
        assert submit(client, email="a@example.org").status_code == 303
        assert submit(client, email="b@example.org").status_code == 303
        assert submit(client, email="c@example.org").status_code == 429
    assert sorted(person.email for person in people(engine)) == ["a@example.org", "b@example.org"]
    assert counters(engine) == {("signup_post", "testclient"): 9, ("signup", "testclient"): 3}


def test_every_post_counts_against_a_larger_budget(settings, kassel, engine):
    app = create_app(settings.model_copy(update={"signup_limit_per_hour": 1}))
    with time_machine.travel(T0, tick=False), TestClient(app=app) as client:
        statuses = [submit(client, first_name="").status_code for _ in range(10)]
        assert statuses == [400] * 10
        refused = submit(client, first_name="Nour")
    assert refused.status_code == 429
    assert counters(engine) == {("signup_post", "testclient"): 11}
    assert people(engine) == []


def test_a_refused_sign_up_shows_the_form_again_with_what_was_typed_and_the_wait(
    app_with_two_sign_ups, kassel
):
    with time_machine.travel(T0, tick=False), TestClient(app=app_with_two_sign_ups) as client:
        submit(client, email="a@example.org")
        submit(client, email="b@example.org")
        german = submit(client, email="c@example.org", first_name="Olena", about_me="Hallo!")
        client.get("/?lang=ar")
        arabic = submit(client, email="d@example.org", first_name="Olena", about_me="Hallo!")

    for response in (german, arabic):
        assert response.status_code == 429
        seconds_left = str(50 * 60 - 5)  # T0 is 10 min 5 s into the hour
        assert response.headers["retry-after"] == seconds_left
        assert {name: response.headers[name] for name in RATE_HEADERS} == {
            "RateLimit-Policy": "2; w=3600",
            "RateLimit-Limit": "2",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": seconds_left,
        }
        page = html(response)
        form = page.find("form", attrs={"id": "participant-form"})
        assert form.find("input", attrs={"name": "first_name"})["value"] == "Olena"
        typed = form.find("input", attrs={"name": "email"})["value"]
        assert typed in ("c@example.org", "d@example.org")
        slot = form.find("input", attrs={"name": "slots", "value": "sat_morning"})
        assert slot.has_attr("checked")
        assert form.find("input", attrs={"name": "consent_matching"}).has_attr("checked")
        assert form.find("textarea", attrs={"name": "about_me"}).get_text() == "Hallo!"
        assert form.find("input", attrs={"name": "_csrf_token"})["value"]
    page = html(german)
    assert page.find("html")["lang"] == "de"
    assert " ".join(page.find(id="too-many").get_text().split()) == (
        "Gerade kommen zu viele Anmeldungen über diesen Internetanschluss. Alles, was Sie "
        "eingegeben haben, ist noch da. Bitte versuchen Sie es in 50 Minuten noch einmal."
    )
    page = html(arabic)
    assert page.find("html")["lang"] == "ar" and page.find("html")["dir"] == "rtl"
    assert "50" in page.find(id="too-many").get_text()
    assert "Minuten" not in page.get_text()


def test_the_wait_is_said_in_whole_minutes_rounded_up(app_with_two_sign_ups, kassel):
    late = HOUR + timedelta(minutes=59, seconds=30)
    with time_machine.travel(late, tick=False), TestClient(app=app_with_two_sign_ups) as client:
        client.get("/?lang=en")
        for n in range(2):
            submit(client, email=f"{n}@example.org")
        refused = submit(client, email="late@example.org")
    assert refused.headers["retry-after"] == "30"
    assert "Please try again in 1 minute." in html(refused).find(id="too-many").get_text()


def test_the_login_429_carries_the_headers_of_its_own_limit(client, kassel):
    with time_machine.travel(T0, tick=False):
        for n in range(LOGIN_LIMIT.hits):
            login(client, f"user{n}@example.org", password="guess")
        refused = login(client, "alice@example.org")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"] == "55"
    assert refused.headers["ratelimit-policy"] == "30; w=60"
    assert html(refused).find("h1").get_text() == "Zu viele Versuche von diesem Anschluss"


def test_a_new_window_starts_afresh(settings, kassel, engine):
    app = create_app(settings.model_copy(update={"signup_limit_per_hour": 1}))
    with TestClient(app=app) as client:
        with time_machine.travel(T0, tick=False):
            assert submit(client, email="a@example.org").status_code == 303
            assert submit(client, email="b@example.org").status_code == 429
        with time_machine.travel(HOUR + timedelta(minutes=59, seconds=59), tick=False):
            assert submit(client, email="b@example.org").status_code == 429  # the same hour
        with time_machine.travel(HOUR + timedelta(hours=1), tick=False):
            assert submit(client, email="b@example.org").status_code == 303
            assert submit(client, email="c@example.org").status_code == 429
    assert sorted(person.email for person in people(engine)) == ["a@example.org", "b@example.org"]


def test_the_count_raises_past_the_limit_with_the_time_left(engine):
    limit = limits.Limit("test", hits=2, seconds=60)
    now = HOUR + timedelta(seconds=12.5)
    limits.count(engine, limit, CLIENT, now=now)
    limits.count(engine, limit, CLIENT, now=now)
    limits.count(engine, limit, "198.51.100.1", now=now)  # another address, its own counter
    with pytest.raises(TooManyRequestsException) as refused:
        limits.count(engine, limit, CLIENT, now=now)
    assert refused.value.headers is not None
    assert refused.value.headers["Retry-After"] == "48"  # 47.5 s left, rounded up
    assert counters(engine) == {("test", CLIENT): 3, ("test", "198.51.100.1"): 1}


def test_the_count_is_committed_even_when_the_request_rolls_back(database_url, engine):
    fresh = create_db_engine(database_url)
    try:
        with db(engine) as session:
            make_region(session, "kassel")
        with pytest.raises(RuntimeError), db(fresh) as session:  # the request's transaction
            limits.count(fresh, LOGIN_LIMIT, CLIENT, now=T0)
            session.add(Region(slug="gone", name="Gone"))
            session.flush()
            assert counters(engine) == {("login", CLIENT): 1}  # seen by others before the end
            raise RuntimeError("the request fails after the count")
    finally:
        fresh.dispose()
    assert counters(engine) == {("login", CLIENT): 1}
    with db(engine) as session:
        assert session.scalars(select(Region.slug)).all() == ["kassel"]  # that was rolled back


def test_a_login_that_fails_with_a_500_still_counts(client, kassel, engine, monkeypatch):
    def broken(*_args):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    monkeypatch.setattr("web.login.routes.authenticate", broken)
    with time_machine.travel(T0, tick=False):
        assert login(client, "alice@example.org").status_code == 500
    assert counters(engine) == {("login", "testclient"): 1}


def test_a_count_is_one_statement_outside_any_transaction(engine):
    statements: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        limits.count(engine, LOGIN_LIMIT, CLIENT, now=T0)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    [upsert] = statements  # no BEGIN (SQLite's would be a statement here), no look-up first
    assert upsert.startswith("INSERT INTO rate_counter")
    assert "ON CONFLICT (scope, client, window_start) DO UPDATE" in upsert
    assert re.search(r"RETURNING (rate_counter\.)?hits$", upsert)


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's write lock")
def test_on_sqlite_a_count_leaves_no_transaction_open(database_url):
    fresh = create_db_engine(database_url)  # one pooled connection, reused below
    try:
        limits.count(fresh, LOGIN_LIMIT, CLIENT, now=T0)
        other = sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the count still held it
            assert other.execute("SELECT hits FROM rate_counter").fetchall() == [(1,)]
            other.execute("ROLLBACK")
        finally:
            other.close()
        # The pooled connection is ours again: BEGIN IMMEDIATE, not pysqlite's own BEGIN.
        with fresh.connect() as connection:
            connection.begin()
            raw = connection.connection.dbapi_connection
            assert raw is not None and raw.isolation_level is None and raw.in_transaction
    finally:
        fresh.dispose()


def test_a_long_client_address_is_cut_to_the_column(engine):
    limits.count(engine, LOGIN_LIMIT, "x" * 100, now=T0)
    assert counters(engine) == {("login", "x" * limits.CLIENT_MAX): 1}


def test_tandem_purge_deletes_counters_of_windows_long_over(settings, engine, capsys):
    now = utcnow()
    signup = limits.signup_limit(settings)
    limits.count(engine, LOGIN_LIMIT, "old", now=now - timedelta(days=3))
    limits.count(engine, signup, "old", now=now - timedelta(days=2, hours=2))
    limits.count(engine, signup, "an hour ago", now=now - timedelta(hours=1))
    limits.count(engine, LOGIN_LIMIT, "now", now=now)

    cmd_purge(settings, argparse.Namespace(dry_run=True))
    assert "  old rate-limit counters deleted: 2" in capsys.readouterr().out.splitlines()
    assert len(counters(engine)) == 4

    cmd_purge(settings, argparse.Namespace(dry_run=False))
    assert "  old rate-limit counters deleted: 2" in capsys.readouterr().out.splitlines()
    assert counters(engine) == {("signup", "an hour ago"): 1, ("login", "now"): 1}


def test_a_limit_longer_than_a_day_is_refused():
    # purge counts on no window being longer than LONGEST_WINDOW.
    with pytest.raises(ValueError, match="not a usable rate limit"):
        limits.Limit("week", hits=10, seconds=7 * 24 * 3600)
