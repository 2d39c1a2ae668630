"""Typed text survives an expired session: Alice writes a note during a long call, her
session times out, she saves, logs in again, and is back on the page with the text.

Alice coordinates Kassel, Bob Göttingen; Lena lives in Kassel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from tests.builders import (
    PASSWORD,
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
)
from web.core.models import Note

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LATER = START + timedelta(minutes=45)  # past the 30 idle minutes
TEXT = "Rückruf am Dienstag, sie sucht eine Frau als Partnerin"


def world(engine) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.5, lon=9.9)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        return make_participant(session, kassel, first_name="Lena").public_id


def _save_note_after_timeout(client, page: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False):
        login(client, "alice@example.org")
        assert client.get(page).status_code == 200
    with time_machine.travel(LATER, tick=False):
        return client.post(
            f"{page.split('?')[0]}/notes",
            data={
                "body": TEXT,
                "password": "must-not-be-kept",
                "_csrf_token": client.cookies.get("tandem_csrf"),
            },
            headers={"referer": f"http://testserver.local{page}"},
            follow_redirects=False,
        )


def _draft_of(page) -> dict:  # type: ignore[no-untyped-def,type-arg]
    script = page.find("script", id="form-draft")
    return json.loads(script.string) if script else {}


def test_after_logging_in_again_the_note_is_back_on_its_page(client, engine):
    lena = world(engine)
    page = f"/coordinator/participants/{lena}?lang=de"
    response = _save_note_after_timeout(client, page)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    with db(engine) as session:
        assert session.scalars(select(Note)).all() == []  # nothing saved unasked
    with time_machine.travel(LATER + timedelta(minutes=1), tick=False):
        form = client.get(location)
        next_field = html(form).find("input", attrs={"name": "next"})
        assert next_field["value"] == page  # the form's page, not the POST address
        logged_in = login(client, "alice@example.org", next=next_field["value"])
        assert logged_in.status_code == 303 and logged_in.headers["location"] == page
        back = html(client.get(page))
        again = html(client.get(page))
    draft = _draft_of(back)
    assert draft["action"] == f"/coordinator/participants/{lena}/notes"
    assert draft["fields"]["body"] == [TEXT]
    assert "password" not in draft["fields"] and "_csrf_token" not in draft["fields"]
    assert back.find(id="draft-notice") is not None
    assert back.find("script", src="/static/draft.js") is not None
    assert back.find("form", action=draft["action"]) is not None  # the form the script fills
    assert _draft_of(again) == {}  # once


def test_a_nother_coordinator_on_the_same_browser_does_not_get_the_draft(client, engine):
    lena = world(engine)
    page = f"/coordinator/participants/{lena}"
    _save_note_after_timeout(client, page)
    with time_machine.travel(LATER + timedelta(minutes=1), tick=False):
        login(client, "bob@example.org", next=page)
        dashboard = client.get("/coordinator/")
        assert TEXT not in dashboard.text
        assert client.get(page).status_code == 404
        assert TEXT not in client.get(page).text


def test_a_password_is_never_kept(client, engine):
    world(engine)
    with time_machine.travel(START, tick=False):
        login(client, "alice@example.org")
    with time_machine.travel(LATER, tick=False):
        client.post(
            "/coordinator/account/password",
            data={"current_password": PASSWORD, "new_password": "x" * 20,
                  "_csrf_token": client.cookies.get("tandem_csrf")},
            follow_redirects=False,
        )  # fmt: skip
        login(client, "alice@example.org")
        page = client.get("/coordinator/")
    assert PASSWORD not in page.text and "x" * 20 not in page.text
