""" "Send me a new link" (POST /me/new-link): limited per connection and per address, and
the same answer, the same path and the same writes for a known and an unknown address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, select

from tests.builders import HOUR, T0, counters, csrf_token, db, html, make_participant, make_region
from web.core import limits
from web.core.models import OutboxMessage, utcnow
from web.me import routes

KNOWN = "nour@example.org"
UNKNOWN = "nobody@example.org"


@pytest.fixture
def nour(engine) -> None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_participant(session, kassel, email=KNOWN, first_name="Nour", locale="ar")


def ask(client, email: str):  # type: ignore[no-untyped-def]
    data = {"email": email, "_csrf_token": csrf_token(client, "/me/new-link")}
    return client.post("/me/new-link", data=data)


def outbox(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.execute(select(OutboxMessage.kind, OutboxMessage.to_address)).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_known_address_gets_a_link_in_its_own_language(client, engine, nour):
    answer = ask(client, "  Nour@Example.org ")
    assert answer.status_code == 200
    assert html(answer).find(attrs={"role": "status"}) is not None
    assert outbox(engine) == [("profile_link", KNOWN)]
    with db(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.locale == "ar"
    assert re.search(r"/me/open/\S+\?lang=ar\b", message.body_text)


def test_known_and_unknown_addresses_take_the_same_path_until_the_answer(
    client, engine, nour, monkeypatch
):
    """Everything the request does before it answers is recorded; the look-up and the
    e-mail run after the answer (checked below), so they cannot show in its timing."""
    after_the_answer: list[str] = []
    monkeypatch.setattr(
        routes, "send_new_link", lambda *args, **kw: after_the_answer.append(args[2])
    )
    statements: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    app_engine = client.app.state.engine
    token = csrf_token(client, "/me/new-link")
    seen: dict[str, tuple[list[str], str]] = {}
    for email in (KNOWN, UNKNOWN):
        statements.clear()
        event.listen(app_engine, "before_cursor_execute", note)
        try:
            answer = client.post("/me/new-link", data={"email": email, "_csrf_token": token})
        finally:
            event.remove(app_engine, "before_cursor_execute", note)
        page = html(answer).find("main")
        seen[email] = (list(statements), page.get_text() if page else answer.text)

    assert seen[KNOWN] == seen[UNKNOWN]
    known_statements, _ = seen[KNOWN]
    assert len(known_statements) == 2  # the two counts, nothing else
    assert all(s.startswith("INSERT INTO rate_counter") for s in known_statements)
    assert after_the_answer == [KNOWN, UNKNOWN]
    assert outbox(engine) == []


def test_the_work_after_the_answer_sends_only_to_a_known_address(settings, engine, nour):
    now = utcnow()
    routes.send_new_link(engine, settings, UNKNOWN, now=now)
    assert outbox(engine) == []
    routes.send_new_link(engine, settings, KNOWN, now=now)
    assert outbox(engine) == [("profile_link", KNOWN)]


def test_a_failure_after_the_answer_is_logged_not_raised(
    settings, engine, nour, monkeypatch, caplog
):
    def broken(*_args, **_kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("the mail could not be written")

    monkeypatch.setattr(routes, "send_profile_link", broken)
    routes.send_new_link(engine, settings, KNOWN, now=utcnow())
    assert "sending a new link failed" in caplog.text


def test_each_address_gets_three_links_an_hour_known_or_not(client, engine, nour):
    with time_machine.travel(T0, tick=False):
        for email in (KNOWN, UNKNOWN):
            assert [ask(client, email).status_code for _ in range(3)] == [200, 200, 200]
            refused = ask(client, email)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == str(50 * 60 - 5)
            page = html(refused)
            assert page.find("input", attrs={"name": "email"})["value"] == email
            assert "Bitte versuchen Sie es in 50 Minuten noch einmal." in page.find(
                id="too-many"
            ).get_text(" ", strip=True)
        assert ask(client, "another@example.org").status_code == 200  # its own count
    assert outbox(engine) == [("profile_link", KNOWN)] * 3
    with time_machine.travel(HOUR + timedelta(hours=1), tick=False):
        assert ask(client, KNOWN).status_code == 200


def test_the_counters_hold_no_address(client, engine, nour):
    with time_machine.travel(T0, tick=False):
        ask(client, KNOWN)
    clients = [client_key for _scope, client_key in counters(engine)]
    assert "testclient" in clients and len(clients) == 2
    assert not any("nour" in key or "@" in key for key in clients)


def test_one_connection_asks_for_links_within_its_limit(client, engine, nour, monkeypatch):
    monkeypatch.setattr(limits, "NEW_LINK_PER_CLIENT", limits.Limit("new_link", 2, 3600))
    client.get("/?lang=ar")
    with time_machine.travel(T0, tick=False):
        assert ask(client, "a@example.org").status_code == 200
        assert ask(client, "b@example.org").status_code == 200
        refused = ask(client, KNOWN)
    assert refused.status_code == 429
    page = html(refused)
    assert page.html["lang"] == "ar"
    assert "50" in page.find(id="too-many").get_text()
    assert outbox(engine) == []  # the refused one was not looked up


def test_an_address_that_is_no_address_is_asked_for_again(client, engine, nour):
    answer = ask(client, "not an address")
    assert answer.status_code == 400
    page = html(answer)
    assert page.find("input", attrs={"name": "email"})["value"] == "not an address"
    error = page.find(id="f-email-error").get_text()
    assert error == "Bitte geben Sie eine E-Mail-Adresse wie name@example.org ein."
    assert counters(engine) == {("new_link", "testclient"): 1}


def test_an_address_too_long_for_any_mailbox_is_refused_not_cut(client, engine, nour):
    # Cut to 254 characters, this would be a valid address: it must not be shortened into one.
    too_long = "a" * 250 + "@example.org"
    answer = ask(client, too_long)
    assert answer.status_code == 400
    field = html(answer).find("input", attrs={"name": "email"})
    assert field["value"] == too_long
    assert field["maxlength"] == "254"
    assert outbox(engine) == []


@pytest.mark.parametrize("path", ["/me/new-link", "/login"])
def test_the_address_fields_say_how_long_an_address_may_be(client, path):
    field = html(client.get(path)).find("input", attrs={"name": "email"})
    assert field["maxlength"] == "254"
