"""Coordinators' private notes on a person and on a tandem: only their region sees them.

Alice coordinates Kassel (Lena and Nour's tandem), Bob Göttingen (Jonas and
Karim's), Ada is an admin.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlmodel import Session

from tests.builders import (
    Pair,
    build_tandem,
    csrf_token,
    db,
    html,
    login,
    open_profile,
)
from tests.worlds import two_regions
from web.core import participants
from web.core.models import AuditLog, Coordinator, Note, Participant
from web.tandems import notes

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english(client) -> None:  # type: ignore[no-untyped-def]
    client.headers["accept-language"] = "en"


@pytest.fixture
def world(engine) -> dict[str, Pair]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen = world.kassel, world.goettingen
        return {
            "kassel": build_tandem(session, kassel),
            "goettingen": build_tandem(
                session, goettingen, local_name="Jonas", newcomer_name="Karim"
            ),
        }


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/coordinator/tandems")
    return client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)


def public_id(engine, person_id: int) -> str:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.get(Participant, person_id).public_id  # type: ignore[union-attr]


def all_notes(engine) -> list[Note]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(Note).order_by(Note.id)))


def test_a_note_on_a_tandem_is_kept_and_shown_with_its_author(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    response = post(client, f"{path}/notes", body="  Called Lena.\r\nShe is ill\u202e until May. ")
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=noted#notes"
    [note] = all_notes(engine)
    assert (note.tandem_id, note.participant_id) == (world["kassel"].tandem_id, None)
    assert note.body == "Called Lena.\nShe is ill until May."
    page = html(client.get(f"{path}?done=noted"))
    assert page.select_one(".notice").get_text(strip=True) == "Your note is saved."
    [item] = page.select("#notes .note-list li")
    assert item.select_one(".note-body").get_text() == "Called Lena.\nShe is ill until May."
    assert item.select_one(".note-meta").get_text(strip=True) == "May 4, 2026 · Alice"
    with Session(engine) as session:
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "note.added.tandem")
        ).one()
        assert audit.subject_id == str(world["kassel"].tandem_id)
        assert "Lena" not in audit.subject_id + audit.action


def test_an_empty_note_is_a_400_with_a_message(client, engine, world):
    login(client, "alice@example.org")
    path = f"/coordinator/tandems/{world['kassel'].public_id}"
    response = post(client, f"{path}/notes", body=" \u202e \n ")
    assert response.status_code == 400
    assert "Please write a note first." in html(response).select_one("#notes .error").get_text()
    assert all_notes(engine) == []


def test_a_note_on_a_person(client, engine, world):
    lena = public_id(engine, world["kassel"].local_id)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/participants/{lena}/notes", body="Prefers calls")
    assert response.status_code == 303
    assert response.headers["location"] == f"/coordinator/participants/{lena}?done=noted#notes"
    [note] = all_notes(engine)
    assert (note.participant_id, note.tandem_id, note.body) == (
        world["kassel"].local_id,
        None,
        "Prefers calls",
    )
    # An empty one shows the partial with the notes so far and the message.
    response = post(client, f"/coordinator/participants/{lena}/notes", body="")
    assert response.status_code == 400
    page = html(response)
    assert "Please write a note first." in page.select_one("#notes .error").get_text()
    assert [li.select_one(".note-body").get_text() for li in page.select("#notes li")] == [
        "Prefers calls"
    ]
    assert page.select_one("#notes form")["action"] == f"/coordinator/participants/{lena}/notes"


def test_notes_are_private_to_the_region(client, engine, world):
    lena = public_id(engine, world["kassel"].local_id)
    jonas = public_id(engine, world["goettingen"].local_id)
    login(client, "alice@example.org")
    post(client, f"/coordinator/tandems/{world['kassel'].public_id}/notes", body="Kassel only")
    post(client, f"/coordinator/participants/{lena}/notes", body="About Lena")
    login(client, "bob@example.org")
    kassel_path = f"/coordinator/tandems/{world['kassel'].public_id}"
    assert client.get(kassel_path).status_code == 404
    assert post(client, f"{kassel_path}/notes", body="Bob was here").status_code == 404
    refused = post(client, f"/coordinator/participants/{lena}/notes", body="Bob was here")
    assert refused.status_code == 404 and "About Lena" not in refused.text
    own = client.get(f"/coordinator/tandems/{world['goettingen'].public_id}")
    assert "Kassel only" not in own.text and "About Lena" not in own.text
    assert post(client, f"/coordinator/participants/{jonas}/notes", body="Jonas").status_code == 303
    assert [n.body for n in all_notes(engine)] == ["Kassel only", "About Lena", "Jonas"]
    # The admin sees every region's notes.
    login(client, "ada@example.org")
    assert "Kassel only" in client.get(kassel_path).text


def test_participants_never_see_notes(client, engine, world):
    login(client, "alice@example.org")
    lena = public_id(engine, world["kassel"].local_id)
    post(client, f"/coordinator/tandems/{world['kassel'].public_id}/notes", body="Secret tandem")
    post(client, f"/coordinator/participants/{lena}/notes", body="Secret person")
    client.cookies.clear()
    open_profile(client, engine, world["kassel"].local_id)
    for path in ("/me", f"/me/tandem/{world['kassel'].public_id}"):
        text = client.get(path).text
        assert "Secret tandem" not in text and "Secret person" not in text


def test_notes_are_listed_newest_first_and_go_with_an_erased_person(engine, world):
    with db(engine) as session:
        author = session.scalars(select(Coordinator).where(Coordinator.role == "admin")).one()
        lena = session.get(Participant, world["kassel"].local_id)
        notes.add(session, author=author, body="old", now=NOW - timedelta(days=3), participant=lena)
        notes.add(session, author=author, body="new", now=NOW, participant=lena)
        listed = notes.listing(session, locale="de", participant=lena)  # type: ignore[arg-type]
        assert [(n.body, n.author, n.when) for n in listed] == [
            ("new", "Ada", "4. Mai 2026"),
            ("old", "Ada", "1. Mai 2026"),
        ]
        with pytest.raises(TypeError):
            notes.add(session, author=author, body="x", now=NOW)
        with pytest.raises(notes.EmptyNote):
            notes.add(session, author=author, body="\u0000", now=NOW, participant=lena)
    with db(engine) as session:
        participants.erase(session, session.get(Participant, world["kassel"].local_id), now=NOW,
                           ledger=None)  # fmt: skip
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Note)) == 0
