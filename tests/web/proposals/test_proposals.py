"""Introductions with consent on both sides: answer links, both-accept, decline, expiry.

Lena (local, German) and Nour (newcomer, Arabic) are proposed to each other in
Kassel, which Alice coordinates; Bob coordinates Göttingen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.builders import db, html, login, make_coordinator, make_participant, make_region
from tests.builders import tandem as run_cli
from tests.worlds import PROPOSAL_WAITING_SINCE as WAITING_SINCE
from tests.worlds import START, Tandem3, proposal_links, proposed_tandem
from web.core.models import (
    AccessToken,
    AuditLog,
    OutboxMessage,
    PairRule,
    Participant,
    Tandem,
)
from web.proposals import proposals
from web.tandems import lifecycle

LINK = re.compile(r"/answer/([A-Za-z0-9_-]+)")


@pytest.fixture
def world(engine, settings) -> Tandem3:  # type: ignore[no-untyped-def]
    return proposed_tandem(engine, settings)


def mails(engine, kind: str) -> dict[str, OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        return {row.to_address: row for row in rows}


def link_of(message: OutboxMessage) -> str:
    found = LINK.search(message.body_text)
    assert found, message.body_text
    return found.group(1)


def reload(engine, world: Tandem3) -> tuple[Tandem, Participant, Participant]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return (
            session.get(Tandem, world.tandem_id),
            session.get(Participant, world.local_id),
            session.get(Participant, world.newcomer_id),
        )  # type: ignore[return-value]


def answer(client, token: str, choice: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/answer/{token}")
    field = html(page).find("input", attrs={"name": "_csrf_token"})
    csrf = str(field["value"]) if field else client.cookies.get("tandem_csrf", "")
    return client.post(
        f"/answer/{token}",
        data={"choice": choice, "_csrf_token": csrf},
        follow_redirects=False,
    )


# --- the proposal -----------------------------------------------------------------------------


def test_it_proposes_to_both_partners_in_their_own_language(engine, settings, world):
    sent = mails(engine, "proposal")
    assert set(sent) == {"lena@kassel.example", "nour@kassel.example"}
    assert sent["lena@kassel.example"].locale == "de"
    assert sent["nour@kassel.example"].locale == "ar"
    assert sent["lena@kassel.example"].body_text.startswith("Hallo Lena")
    assert "Nour" in sent["lena@kassel.example"].subject
    for message in sent.values():
        assert f"{settings.base_url}/answer/" in message.body_text
        assert LINK.search(message.body_html or "")
    tandem, _lena, _nour = reload(engine, world)
    assert tandem.proposed_at == START
    assert tandem.answer_due_at == START + timedelta(days=7)
    with db(engine) as session:
        answer_tokens = session.scalars(
            select(AccessToken).where(AccessToken.purpose == "answer")
        ).all()
        assert {t.participant_id for t in answer_tokens} == {world.local_id, world.newcomer_id}
        assert {t.tandem_id for t in answer_tokens} == {world.tandem_id}
        assert {t.expires_at for t in answer_tokens} == {START + timedelta(days=7)}


def test_the_proposal_carries_no_personal_extras(engine, world):
    to_lena = mails(engine, "proposal")["lena@kassel.example"]
    text = to_lena.subject + to_lena.body_text + (to_lena.body_html or "")
    text = re.sub(r"https?://[^\s\"<]+", "<link>", text)  # random tokens may hold any digits
    assert "Nour" in text and "kassel-town" in text  # the partner: first name and town
    assert "4 km" in text  # a redacted reason is there
    for extra in (
        "Haddad", "nour@kassel.example", "Syrian", "1999", "121", "27",  # name, address, age
        "Retired teacher", "0171", "Pinned", "waiting",
    ):  # fmt: skip
        assert extra not in text, extra


def test_the_links_work_only_for_answers(engine, client, world):
    lena_token, _nour_token = proposal_links(engine)
    assert client.get(f"/me/open/{lena_token}").status_code == 200  # a form, nothing more
    csrf = client.cookies.get("tandem_csrf")
    response = client.post(f"/me/open/{lena_token}", data={"_csrf_token": csrf})
    assert response.status_code == 400  # not a profile link


# --- the answer page ------------------------------------------------------------------------


def test_opening_the_link_shows_the_proposal_and_uses_nothing(engine, client, world):
    _lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        for _ in range(3):  # a mail scanner, a preview, the person
            page = client.get(f"/answer/{nour_token}")
    assert page.status_code == 200
    soup = html(page)
    assert soup.html["lang"] == "ar" and soup.html["dir"] == "rtl"
    assert "Lena" in soup.h1.text
    assert "kassel-town" in soup.text
    assert "Schäfer" not in soup.text and "lena@kassel.example" not in soup.text
    assert {b["value"] for b in soup.select("form button[name=choice]")} == {"accept", "decline"}
    with db(engine) as session:
        assert all(t.used_at is None for t in session.scalars(select(AccessToken)).all())
    tandem, _lena, _nour = reload(engine, world)
    assert tandem.newcomer_answer is None and tandem.status == "proposed"


def test_an_unknown_link_is_a_clear_400(client):
    response = client.get("/answer/not-a-real-token")
    assert response.status_code == 400
    assert html(response).h1.text.strip() != ""
    post = client.post("/answer/not-a-real-token", data={"choice": "accept",
                       "_csrf_token": client.cookies.get("tandem_csrf")})  # fmt: skip
    assert post.status_code == 400


def test_an_unknown_choice_is_400_and_changes_nothing(engine, client, world):
    lena_token, _ = proposal_links(engine)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert answer(client, lena_token, "maybe").status_code == 400
        assert client.get(f"/answer/{lena_token}").status_code == 200  # still usable
    tandem, _lena, _nour = reload(engine, world)
    assert tandem.local_answer is None


# --- both say yes ---------------------------------------------------------------------------


def test_it_starts_the_tandem_when_both_accept(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        response = answer(client, lena_token, "accept")
        assert response.status_code == 303
        assert response.headers["location"] == f"/answer/{lena_token}"
        thanks = client.get(f"/answer/{lena_token}")
        assert thanks.status_code == 200
        assert html(thanks).html["lang"] == "de"
        assert "Nour" in html(thanks).select_one(".notice").text
    tandem, _lena, _nour = reload(engine, world)
    assert (tandem.status, tandem.local_answer) == ("proposed", "accepted")
    assert tandem.local_answered_at == START + timedelta(days=1)
    assert mails(engine, "tandem_started") == {}

    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert answer(client, nour_token, "accept").status_code == 303
        page = client.get(f"/answer/{nour_token}")
        assert html(page).html["dir"] == "rtl"
    tandem, lena, nour = reload(engine, world)
    assert tandem.status == "active"
    assert tandem.started_at == START + timedelta(days=2)
    assert tandem.newcomer_answer == "accepted"
    assert (lena.open_tandems, nour.open_tandems) == (1, 1)
    started = mails(engine, "tandem_started")
    assert started["lena@kassel.example"].locale == "de"
    assert started["nour@kassel.example"].locale == "ar"
    assert "nour@kassel.example" in started["lena@kassel.example"].body_text
    assert "lena@kassel.example" in started["nour@kassel.example"].body_text
    with db(engine) as session:
        actions = set(session.scalars(select(AuditLog.action)).all())
    assert {"proposal.sent", "proposal.accepted", "tandem.started"} <= actions


def test_a_partner_without_contact_consent_is_introduced_by_the_coordinator(
    engine, settings, client
):
    world = proposed_tandem(engine, settings, newcomer_shares=False)  # Nour withdrew that consent
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
        answer(client, nour_token, "accept")
    assert reload(engine, world)[0].status == "active"
    started = mails(engine, "tandem_started")
    to_lena, to_nour = started["lena@kassel.example"], started["nour@kassel.example"]
    assert "nour@kassel.example" not in to_lena.body_text + (to_lena.body_html or "")
    assert "coordinator" in to_lena.body_text.lower() or "Koordin" in to_lena.body_text
    assert "lena@kassel.example" in to_nour.body_text  # Lena agreed to share hers


# --- a no -----------------------------------------------------------------------------------


def test_a_decline_forbids_the_pair_and_returns_the_newcomer_to_the_queue(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert answer(client, nour_token, "decline").status_code == 303
        thanks = client.get(f"/answer/{nour_token}")
        assert thanks.status_code == 200 and html(thanks).html["lang"] == "ar"
    tandem, lena, nour = reload(engine, world)
    assert (tandem.status, tandem.newcomer_answer) == ("declined", "declined")
    assert (lena.open_tandems, nour.open_tandems) == (0, 0)
    assert nour.waiting_since == WAITING_SINCE and nour.status == "active"
    with db(engine) as session:
        rule = session.scalars(select(PairRule)).one()
        assert (rule.local_id, rule.newcomer_id, rule.kind) == (lena.id, nour.id, "forbid")
        audit = session.scalars(select(AuditLog.action)).all()
    assert {"proposal.declined", "pair.forbidden"} <= set(audit)
    closed = mails(engine, "proposal_closed")
    assert set(closed) == {"lena@kassel.example"}  # only the other partner is told
    assert closed["lena@kassel.example"].locale == "de"
    assert "Nour" in closed["lena@kassel.example"].body_text
    # Lena's link now says the proposal ended, and cannot answer any more.
    with time_machine.travel(START + timedelta(days=3, hours=1), tick=False):
        assert answer(client, lena_token, "accept").status_code == 400


def test_a_decline_after_an_accept_ends_it_as_well(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
        answer(client, nour_token, "decline")
        assert "Nour" in client.get(f"/answer/{lena_token}").text
    tandem, lena, nour = reload(engine, world)
    assert tandem.status == "declined"
    assert (lena.open_tandems, nour.open_tandems) == (0, 0)
    assert mails(engine, "tandem_started") == {}


def test_a_counter_never_goes_below_zero(engine, settings, client):
    world = proposed_tandem(engine, settings)
    with db(engine) as session:
        session.get(Participant, world.local_id).open_tandems = 0  # type: ignore[union-attr]
    _lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, nour_token, "decline")
    _tandem, lena, nour = reload(engine, world)
    assert (lena.open_tandems, nour.open_tandems) == (0, 0)


# --- links that must not work ----------------------------------------------------------------


def test_answering_twice_is_400(engine, client, world):
    lena_token, _nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert answer(client, lena_token, "accept").status_code == 303
        csrf = client.cookies.get("tandem_csrf")
        again = client.post(f"/answer/{lena_token}", data={"choice": "decline",
                            "_csrf_token": csrf})  # fmt: skip
    assert again.status_code == 400
    assert reload(engine, world)[0].local_answer == "accepted"


def test_a_token_for_someone_outside_the_pair_is_400(engine, settings, client, world):
    from web.core import links

    with db(engine) as session:
        other = make_participant(session, make_region(session, "goettingen"), first_name="Ola")
        raw = links.issue(session, other, "answer", now=START, lifetime=timedelta(days=7))
        row = session.scalars(
            select(AccessToken).where(AccessToken.token_hash == links.hash_token(raw))
        ).one()
        row.tandem_id = world.tandem_id  # a link of Ola's, pointing at Lena and Nour
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert client.get(f"/answer/{raw}").status_code == 400
        csrf = client.cookies.get("tandem_csrf")
        response = client.post(f"/answer/{raw}", data={"choice": "decline", "_csrf_token": csrf})
    assert response.status_code == 400
    assert reload(engine, world)[0].status == "proposed"


def test_the_reminder_goes_only_to_who_has_not_answered(engine, settings, client, world):
    lena_token, _ = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
    with db(engine) as session:
        reminded, _ = proposals.follow_up(session, now=START + timedelta(days=5), settings=settings)
    assert reminded == 1  # only Nour, who has not answered
    assert set(mails(engine, "proposal_reminder")) == {"nour@kassel.example"}


def test_the_other_persons_used_link_is_400(engine, client, world):
    lena_token, nour_token = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert answer(client, nour_token, "accept").status_code == 303
        csrf = client.cookies.get("tandem_csrf")
        # Someone who saw Nour's link tries to answer with it after her.
        response = client.post(f"/answer/{nour_token}", data={"choice": "decline",
                               "_csrf_token": csrf})  # fmt: skip
    assert response.status_code == 400
    tandem = reload(engine, world)[0]
    assert (tandem.local_answer, tandem.newcomer_answer) == (None, "accepted")
    assert lena_token != nour_token


def test_an_expired_link_is_400(engine, client, world):
    lena_token, _ = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=7, minutes=1), tick=False):
        page = client.get(f"/answer/{lena_token}")
        assert page.status_code == 400
        assert html(page).html["lang"] == "de"  # still in Lena's language
        csrf = client.cookies.get("tandem_csrf")
        response = client.post(f"/answer/{lena_token}", data={"choice": "accept",
                               "_csrf_token": csrf})  # fmt: skip
    assert response.status_code == 400
    assert reload(engine, world)[0].local_answer is None


def test_the_answer_form_needs_csrf(engine, client, world):
    lena_token, _ = proposal_links(engine)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        response = client.post(f"/answer/{lena_token}", data={"choice": "accept"})
    assert response.status_code == 403
    assert reload(engine, world)[0].local_answer is None


# --- reminders and expiry ---------------------------------------------------------------------


def test_follow_up_reminds_once_two_days_before_the_deadline(engine, settings, world):
    with db(engine) as session:
        assert proposals.follow_up(session, now=START + timedelta(days=4), settings=settings) == (
            0,
            0,
        )
    with time_machine.travel(START + timedelta(days=5), tick=False), db(engine) as session:
        assert proposals.follow_up(session, now=START + timedelta(days=5), settings=settings) == (
            2,
            0,
        )
    with db(engine) as session:
        assert proposals.follow_up(
            session, now=START + timedelta(days=5, hours=1), settings=settings
        ) == (0, 0)
        assert proposals.follow_up(session, now=START + timedelta(days=6), settings=settings) == (
            0,
            0,
        )
    reminders = mails(engine, "proposal_reminder")
    assert set(reminders) == {"lena@kassel.example", "nour@kassel.example"}
    assert reminders["nour@kassel.example"].locale == "ar"
    tandem = reload(engine, world)[0]
    assert tandem.reminded_at == START + timedelta(days=5)
    # Both links work: the first one and the fresh one in the reminder.
    old_lena, _ = proposal_links(engine)
    new_lena, _ = proposal_links(engine, "proposal_reminder")
    assert old_lena != new_lena
    with db(engine) as session:
        link = proposals.answer(session, new_lena, "accept", now=START + timedelta(days=5))
        assert link.person.id == world.local_id
    with db(engine) as session, pytest.raises(proposals.AlreadyAnswered):
        proposals.answer(session, old_lena, "decline", now=START + timedelta(days=5))


def test_follow_up_expires_an_unanswered_proposal(engine, settings, client, world):
    lena_token, _ = proposal_links(engine)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
    with db(engine) as session:
        assert proposals.follow_up(
            session, now=START + timedelta(days=6, hours=23), settings=settings
        ) == (1, 0)
        assert proposals.follow_up(
            session, now=START + timedelta(days=7, minutes=1), settings=settings
        ) == (0, 1)
        assert proposals.follow_up(session, now=START + timedelta(days=8), settings=settings) == (
            0,
            0,
        )
    tandem, lena, nour = reload(engine, world)
    assert tandem.status == "expired"
    assert (lena.open_tandems, nour.open_tandems) == (0, 0)
    assert nour.waiting_since == WAITING_SINCE
    with db(engine) as session:
        assert session.scalars(select(PairRule)).all() == []  # the coordinator may try again
        assert "proposal.expired" in session.scalars(select(AuditLog.action)).all()
    assert set(mails(engine, "proposal_closed")) == {"lena@kassel.example", "nour@kassel.example"}


def test_the_cli_follow_up_prints_counts(engine, settings, database_url, world):
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        # Pretend the proposal went out 8 days ago: the command uses the real clock.
        tandem.answer_due_at = datetime.now(UTC) - timedelta(days=1)  # type: ignore[union-attr]
    result = run_cli("follow-up", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reminded 0, expired 1"
    assert reload(engine, world)[0].status == "expired"
    again = run_cli("follow-up", database_url=database_url)
    assert again.stdout.strip() == "reminded 0, expired 0"


# --- the coordinator's list -------------------------------------------------------------------


def test_the_proposals_page_lists_only_own_regions(engine, settings, client):
    world = proposed_tandem(engine, settings, region="kassel")
    with db(engine) as session:
        goettingen = make_region(session, "goettingen", lat=51.5, lon=9.9)
        kassel = session.get(Tandem, world.tandem_id).region_id  # type: ignore[union-attr]
        from web.core.models import Region

        make_coordinator(session, "alice@example.org", regions=[session.get(Region, kassel)])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
        make_coordinator(session, "ada@example.org", role="admin")
    with time_machine.travel(START + timedelta(days=3), tick=False):
        login(client, "alice@example.org")
        page = client.get("/coordinator/proposals")
        assert page.status_code == 200
        rows = html(page).select("li.proposal-card[data-tandem]")
        assert len(rows) == 1
        assert rows[0].select_one("[data-side=local] a").text.startswith("Lena")
        assert rows[0].select_one("[data-side=newcomer] a").text.startswith("Nour")
        assert rows[0]["data-days"] == "3"  # days open
        client.post("/logout", data={"_csrf_token": client.cookies.get("tandem_csrf")})

        login(client, "bob@example.org")
        page = client.get("/coordinator/proposals")
        assert page.status_code == 200
        assert html(page).select("[data-tandem]") == []
        assert "Nour" not in page.text
        client.post("/logout", data={"_csrf_token": client.cookies.get("tandem_csrf")})

        login(client, "ada@example.org")
        assert len(html(client.get("/coordinator/proposals")).select("li[data-tandem]")) == 1


def test_the_proposals_page_shows_answers_and_recent_outcomes(engine, settings, client, world):
    lena_token, nour_token = proposal_links(engine)
    with db(engine) as session:
        from web.core.models import Region

        region = session.scalars(select(Region)).one()
        make_coordinator(session, "alice@example.org", regions=[region])
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
        login(client, "alice@example.org")
        row = html(client.get("/coordinator/proposals")).select_one("li.proposal-card")
        states = [span["class"] for span in row.select(".answer-state")]
        assert "accepted" in states[0] and "accepted" not in states[1]
        answer(client, nour_token, "accept")
        page = html(client.get("/coordinator/proposals"))
    assert page.select("li.proposal-card") == []
    recent = page.select("table.recent tr[data-tandem]")
    assert [r["data-status"] for r in recent] == ["active"]


def test_a_proposal_whose_tandem_started_and_ended_is_still_recently_closed(
    engine, settings, client, world
):
    lena_token, nour_token = proposal_links(engine)
    with db(engine) as session:
        from web.core.models import Region

        region = session.scalars(select(Region)).one()
        make_coordinator(session, "alice@example.org", regions=[region])
    with time_machine.travel(START + timedelta(days=1), tick=False):
        answer(client, lena_token, "accept")
        answer(client, nour_token, "accept")
    with db(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        lifecycle.end(
            session, tandem, reason="moved_away", by="coordinator", actor=None,
            now=START + timedelta(days=5),
        )  # fmt: skip
    with time_machine.travel(START + timedelta(days=6), tick=False):
        login(client, "alice@example.org")
        page = html(client.get("/coordinator/proposals?lang=en"))
    recent = page.select("table.recent tr[data-tandem]")
    assert [r["data-status"] for r in recent] == ["ended"]
    assert "tandem started" in recent[0].get_text()


def test_the_proposals_page_needs_a_login(client):
    response = client.get("/coordinator/proposals", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")
