from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import db, html, login, make_participant
from tests.worlds import two_regions
from web.core.models import AuditLog, Consent, Tandem


def world(engine):  # type: ignore[no-untyped-def]
    """Alice serves Kassel (Lena, a local with a tandem), Bob Göttingen (Jonas); Ada is admin."""
    with db(engine) as session:
        world = two_regions(session)
        kassel, goettingen, alice = world.kassel, world.goettingen, world.alice
        lena = make_participant(
            session,
            kassel,
            role="local",
            first_name="Lena",
            last_name="<b>Schmidt</b>",
            phone="+495611234567",
            about_me="<script>alert(1)</script> I like chess",
            interests=["chess"],
            help_topics=["paperwork"],
            languages={"de": "native", "ar": "A2"},
            capacity=2,
        )
        session.add(
            Consent(participant_id=lena.id, purpose="matching", text_version="v1", language="de")
        )
        nour = make_participant(session, kassel, first_name="Nour")
        tandem = Tandem(local_id=lena.id, newcomer_id=nour.id, region_id=kassel.id, status="active")
        session.add(tandem)
        jonas = make_participant(session, goettingen, first_name="Jonas")
        session.flush()
        return {
            "alice_id": alice.id,
            "lena": lena.public_id,
            "lena_id": lena.id,
            "jonas": jonas.public_id,
            "tandem": tandem.public_id,
        }


def views(engine, subject_id: int) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(
            session.scalars(
                select(AuditLog).where(
                    AuditLog.action == "participant.viewed",
                    AuditLog.subject_id == str(subject_id),
                )
            )
        )


def test_it_shows_the_whole_profile_escaped(client, engine):
    w = world(engine)
    login(client, "alice@example.org")
    response = client.get(f"/coordinator/participants/{w['lena']}?lang=en")
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<b>Schmidt" not in response.text
    page = html(response)
    assert page.h1.get_text(strip=True) == "Lena <b>Schmidt</b>"
    field = {dd["data-field"]: dd.get_text(" ", strip=True) for dd in page.select("dd[data-field]")}
    assert field["email"].endswith("@example.org")
    assert field["phone"] == "0561 1234567"  # stored E.164, shown as dialled in Germany
    assert field["about_me"] == "<script>alert(1)</script> I like chess"
    assert "Chess" in field["interests"]
    assert "Paperwork" in field["help_topics"]
    assert {s["data-language"] for s in page.select("[data-language]")} == {"ar", "de"}
    assert "A2" in field["languages"] and "First language" in field["languages"]
    assert "Not seen yet" in field["vetting"]
    assert page.select_one('li[data-consent="matching"]') is not None
    row = page.select_one(f'tr[data-tandem="{w["tandem"]}"]')
    assert row.a["href"] == f"/coordinator/tandems/{w['tandem']}" and "Nour" in row.a.text
    # The notes partial, posting to this person's notes.
    assert (
        page.select_one("#notes form")["action"] == f"/coordinator/participants/{w['lena']}/notes"
    )


def test_every_view_is_audited_with_ids_only(client, engine):
    w = world(engine)
    login(client, "alice@example.org")
    client.get(f"/coordinator/participants/{w['lena']}")
    client.get(f"/coordinator/participants/{w['lena']}")
    rows = views(engine, w["lena_id"])
    assert len(rows) == 2
    assert {(r.actor_type, r.actor_id, r.subject_type) for r in rows} == {
        ("coordinator", w["alice_id"], "participant")
    }


@pytest.mark.parametrize(
    ("who", "person", "status"),
    [
        ("alice@example.org", "lena", 200),
        ("alice@example.org", "jonas", 404),
        ("bob@example.org", "lena", 404),
        ("bob@example.org", "jonas", 200),
        ("ada@example.org", "lena", 200),
        ("ada@example.org", "jonas", 200),
    ],
)
def test_a_participant_page_is_only_for_their_regions_coordinators(
    client, engine, who, person, status
):
    w = world(engine)
    login(client, who)
    assert client.get(f"/coordinator/participants/{w[person]}").status_code == status
    assert client.get("/coordinator/participants/nobody").status_code == 404
    if status == 404:
        # A refused look leaves no trace of the stranger's record in the log.
        assert views(engine, w["lena_id"]) == []


def test_the_page_needs_a_login(client, engine):
    w = world(engine)
    response = client.get(f"/coordinator/participants/{w['lena']}", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert views(engine, w["lena_id"]) == []


def test_the_list_links_to_the_page_and_filters(client, engine):
    w = world(engine)
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/participants?role=local"))
    rows = page.select("tr[data-participant]")
    assert [r["data-participant"] for r in rows] == [w["lena"]]
    assert rows[0].a["href"] == f"/coordinator/participants/{w['lena']}"
    bad = client.get("/coordinator/participants?status=sleeping&lang=en")
    assert bad.status_code == 400
    notes = html(bad).select(".error[role=alert] li")
    assert [note.get_text(strip=True) for note in notes] == ["Unknown status."]
    assert client.get("/coordinator/participants?region=goettingen").status_code == 400
