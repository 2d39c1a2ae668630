"""Issue 16: every flow that would e-mail a person works for a person without an address
(a task on their coordinator's dashboard, or nothing sent and a reason shown; never an
error), a guardian's copy is to read and not to answer, and a coordinator corrects the
e-mail address on the person's request (Alice serves Kassel)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from tests.builders import csrf_token, db, html, login, make_coordinator, make_participant
from tests.worlds import START, proposed_tandem
from web.app import create_app
from web.checkins import checkins
from web.core import links, reach
from web.core.i18n import translations
from web.core.models import (
    AccessToken,
    AuditLog,
    ContactTask,
    Coordinator,
    OutboxMessage,
    Participant,
    Region,
    Tandem,
)
from web.core.vocabulary import CONTACT_TASK_KINDS
from web.ops import retention
from web.proposals import proposals

EMAIL_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "email"
# Mails to coordinators, not to a participant (urgent_report: web/tandems/problems.py).
TO_COORDINATORS = {"coordinator_invitation", "login_attack", "test_message", "urgent_report"}
ANSWER_LINK = re.compile(r"/answer/|/check-in/")


# --- a guardian's copy ------------------------------------------------------------------------


def guardian(email: str | None = "samira@kassel.example") -> dict[str, object]:
    return {
        "birth_year": START.year - 16,
        "guardian_name": "Samira",
        "guardian_relation": "parent",
        "guardian_email": email,
        "guardian_phone": "+4915176543210",
    }


def alice(session) -> Coordinator:  # type: ignore[no-untyped-def]
    region = session.scalars(select(Region)).one()
    return make_coordinator(session, "alice@example.org", regions=[region])


def test_a_guardians_copies_carry_no_answer_link(engine, settings):
    ids = proposed_tandem(engine, settings, about_nour=guardian())
    with db(engine) as session:
        tandem = session.get(Tandem, ids.tandem_id)
        proposals.follow_up(session, now=tandem.answer_due_at - timedelta(days=1))
        coordinator = alice(session)
        now = START + timedelta(days=6, hours=1)
        for person in (tandem.local, tandem.newcomer):
            proposals.answer_for(
                session, tandem, person, "accept", coordinator=coordinator, how="phone", now=now
            )
        assert tandem.status == "active"
        checkins.send_due_checkins(session, settings=settings, now=now + timedelta(days=29))
        mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        tokens = session.scalars(select(AccessToken)).all()
    copies = [m for m in mails if m.to_address == "samira@kassel.example"]
    nours = [m for m in mails if m.to_address == "nour@kassel.example"]
    assert [m.kind for m in copies] == ["proposal", "proposal_reminder", "checkin"]
    assert [m.kind for m in nours if m.kind in reach.GUARDIAN_COPIES] == [
        "proposal",
        "proposal_reminder",
        "checkin",
    ]
    for copy in copies:  # to read: no link to answer with, in the minor's language
        assert not ANSWER_LINK.search(copy.body_text + copy.body_html), copy.kind
        assert copy.locale == "ar"
        gettext = translations("ar").gettext
        assert copy.subject.startswith(gettext("Copy for the guardian:"))
        assert gettext("Hello %(name)s,") % {"name": "Samira"} in copy.body_text
    for mail in nours:  # only Nour answers
        if mail.kind in reach.GUARDIAN_COPIES:
            assert ANSWER_LINK.search(mail.body_text), mail.kind
    # Every link issued belongs to a partner of the tandem; none was made for the guardian.
    assert {t.participant_id for t in tokens} == {ids.local_id, ids.newcomer_id}


def test_a_guardian_without_e_mail_is_told_by_the_coordinator_who_cannot_answer_for_them(
    engine, settings
):
    ids = proposed_tandem(engine, settings, about_nour=guardian(email=None))
    with db(engine) as session:
        alice(session)
        tasks = session.scalars(select(ContactTask)).all()
        assert [(t.participant_id, t.kind, t.for_guardian) for t in tasks] == [
            (ids.newcomer_id, "proposal", True)
        ]
        public_id = session.get(Tandem, ids.tandem_id).public_id
    client = TestClient(app=create_app(settings))
    client.__enter__()
    login(client, "alice@example.org")
    item = html(client.get("/coordinator/?lang=en")).find(attrs={"data-task": str(tasks[0].id)})
    assert "Tell the guardian of Nour" in item.get_text(" ", strip=True)
    assert item.find("a", href=f"/coordinator/proposals/{public_id}/newcomer") is None


# --- every mail to a person, without an address -----------------------------------------------


def test_every_mail_to_a_person_has_a_way_without_e_mail():
    """A new mail to participants must be a task kind, or be one that only works by e-mail."""
    templates = {path.name.split(".")[0] for path in EMAIL_TEMPLATES.glob("*.subject.txt")}
    to_people = templates - TO_COORDINATORS
    assert to_people - set(CONTACT_TASK_KINDS) - set(reach.ONLY_BY_EMAIL) == set()
    assert set(reach.ONLY_BY_EMAIL) & set(CONTACT_TASK_KINDS) == set()


@pytest.fixture
def amal(engine) -> int:  # type: ignore[no-untyped-def]
    """Amal, a newcomer in Kassel without an e-mail address; Alice coordinates Kassel."""
    from tests.builders import make_region

    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        person = make_participant(
            session, kassel, first_name="Amal", email=None, phone="+4915123456789"
        )
        return person.id  # type: ignore[return-value]


@pytest.mark.parametrize("kind", sorted(CONTACT_TASK_KINDS))
def test_a_mail_with_a_task_kind_becomes_a_task(engine, amal, kind):
    with db(engine) as session:
        person = session.get(Participant, amal)
        told = reach.tell(session, person, template=kind, context={}, now=START)
        assert told == reach.TASK
        assert [t.kind for t in session.scalars(select(ContactTask))] == [kind]
        assert session.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize("template", reach.ONLY_BY_EMAIL)
def test_a_link_that_only_works_by_e_mail_is_skipped_cleanly(engine, settings, amal, template):
    with db(engine) as session:
        person = session.get(Participant, amal)
        assert reach.tell(session, person, template=template, context={}, now=START) == (
            reach.NOT_TOLD
        )
        assert links.send_profile_link(session, person, settings, now=START) is None
        assert (
            links.send(
                session,
                person,
                "verify",
                settings=settings,
                now=START,
                lifetime=timedelta(hours=1),
                template=template,
                context={},
            )  # fmt: skip
            is None
        )
        # Nothing sent, no task, and no link issued that nobody could receive.
        assert session.scalars(select(OutboxMessage)).all() == []
        assert session.scalars(select(ContactTask)).all() == []
        assert session.scalars(select(AccessToken)).all() == []


def test_the_retention_warning_for_someone_without_e_mail_is_a_task(engine, settings, amal):
    with db(engine) as session:
        person = session.get(Participant, amal)
        retention.send_warning(session, person, settings=settings, now=START)
        assert [t.kind for t in session.scalars(select(ContactTask))] == ["retention_warning"]
        assert session.scalars(select(OutboxMessage)).all() == []


def as_alice(settings) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app=create_app(settings))
    client.__enter__()
    assert login(client, "alice@example.org").status_code == 303
    return client


def on_request(client: TestClient, public_id: str, **data: str):  # type: ignore[no-untyped-def]
    url = f"/coordinator/participants/{public_id}/on-request"
    token = csrf_token(client, url)
    return client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def test_sending_the_profile_link_to_someone_without_e_mail_says_why_not(engine, settings, amal):
    with db(engine) as session:
        public_id = session.get(Participant, amal).public_id
    client = as_alice(settings)
    client.get("/coordinator/?lang=de")
    page = html(client.get(f"/coordinator/participants/{public_id}/on-request"))
    assert page.find(attrs={"data-no-address": True}) is not None
    assert page.find("button", attrs={"value": "send_link"}) is None
    response = on_request(client, public_id, action="send_link", how="phone")  # sent anyway
    assert response.status_code == 409
    message = translations("de").gettext(
        "This person has no e-mail address, so no link can be sent. If they have one now, add "
        "it with “Correct their data”."
    )
    assert html(response).find(attrs={"role": "alert"}).get_text(strip=True) == message
    with db(engine) as session:
        assert session.scalars(select(OutboxMessage)).all() == []
        assert session.scalars(select(AccessToken)).all() == []
        assert not session.scalars(
            select(AuditLog).where(AuditLog.action.like("participant.send_link%"))
        ).all()


def test_a_coordinator_sends_the_profile_link_again_on_request(engine, settings, amal):
    with db(engine) as session:
        person = session.get(Participant, amal)
        person.email = "amal@example.org"
        public_id = person.public_id
    client = as_alice(settings)
    response = on_request(client, public_id, action="send_link", how="phone")
    assert response.status_code == 200
    assert html(response).find(attrs={"data-sent": True}) is not None
    with db(engine) as session:
        [message] = session.scalars(select(OutboxMessage)).all()
        assert (message.to_address, message.kind) == ("amal@example.org", "profile_link")
        assert "/me/open/" in message.body_text
        assert (
            "participant.send_link.on_request.phone"
            in session.scalars(select(AuditLog.action)).all()
        )


# --- the e-mail address, corrected on request --------------------------------------------------


def correct(client: TestClient, engine, person_id: int, **changes: str):  # type: ignore[no-untyped-def]
    from web.core.forms import form_from_person

    with db(engine) as session:
        person = session.get(Participant, person_id)
        form = form_from_person(person, person.place.name)
        public_id = person.public_id
    url = f"/coordinator/participants/{public_id}/on-request/correct"
    data: dict[str, object] = {
        "first_name": form.first_name, "email": form.email, "phone": form.phone_e164,
        "birth_year": form.birth_year, "place": form.place, "slots": form.slots,
        "language_1": form.languages[0][0], "level_1": form.languages[0][1],
        "help_topics": ["paperwork"], "partner_wish": "any", "person_locale": "de",
        "how": "in_person", **changes,
    }  # fmt: skip
    data["_csrf_token"] = csrf_token(client, url)
    return client.post(url, data=data, follow_redirects=False)


def test_a_coordinator_adds_an_e_mail_address_given_in_person(engine, settings, amal):
    client = as_alice(settings)
    form = html(client.get(f"/coordinator/participants/{_public(engine, amal)}/on-request/correct"))
    assert form.find("input", attrs={"name": "email"})["value"] == ""
    response = correct(client, engine, amal, email="Amal@Example.org")
    assert response.status_code == 303, response.text
    with db(engine) as session:
        person = session.get(Participant, amal)
        assert (person.email, person.status) == ("amal@example.org", "active")  # no opt-in
        [message] = session.scalars(select(OutboxMessage)).all()
        actions = session.scalars(select(AuditLog.action)).all()
    assert (message.to_address, message.kind) == ("amal@example.org", "address_recorded")
    assert "/me/open/" in message.body_text  # with which they can also erase it all
    assert "participant.email_changed.on_request.in_person" in actions
    assert "participant.correct.on_request.in_person" in actions


def test_an_address_someone_else_has_is_refused_with_a_message(engine, settings, amal):
    with db(engine) as session:
        make_participant(session, session.scalars(select(Region)).one(), email="taken@example.org")
    client = as_alice(settings)
    response = correct(client, engine, amal, email="taken@example.org", first_name="Amaal")
    assert response.status_code == 409
    page = html(response)
    assert page.find("input", attrs={"name": "email"})["value"] == "taken@example.org"
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Amaal"
    assert page.find(id="f-email-error") is not None
    bad = correct(client, engine, amal, email="not an address")
    assert bad.status_code == 400 and html(bad).find(id="f-email-error") is not None
    with db(engine) as session:
        person = session.get(Participant, amal)
        assert (person.email, person.first_name) == (None, "Amal")
        assert session.scalars(select(OutboxMessage)).all() == []


def test_removing_the_address_revokes_its_links_and_routes_later_mails_to_tasks(engine, settings):
    ids = proposed_tandem(engine, settings)
    with db(engine) as session:
        alice(session)
        raw = links.issue(
            session, session.get(Participant, ids.newcomer_id), "profile", now=START,
            lifetime=timedelta(days=30),
        )  # fmt: skip
    client = as_alice(settings)
    response = correct(client, engine, ids.newcomer_id, email="", phone="0151 23456789")
    assert response.status_code == 303, response.text
    with db(engine) as session:
        nour = session.get(Participant, ids.newcomer_id)
        assert nour.email is None
        with pytest.raises(links.LinkUsed):  # the old mailbox opens nothing any more
            links.redeem(session, raw, "profile", now=START, single_use=False)
        assert (
            "participant.email_removed.on_request.in_person"
            in session.scalars(select(AuditLog.action)).all()
        )
        tandem = session.get(Tandem, ids.tandem_id)
        proposals.follow_up(session, now=tandem.answer_due_at - timedelta(days=1))
        reminders = session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.kind == "proposal_reminder")
        ).all()
        tasks = session.scalars(select(ContactTask)).all()
    assert reminders == ["lena@kassel.example"]
    assert [(t.participant_id, t.kind) for t in tasks] == [(ids.newcomer_id, "proposal_reminder")]


def _public(engine, person_id: int) -> str:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.get(Participant, person_id).public_id


# --- the other flows, end to end, for a person without e-mail --------------------------------


def test_an_expired_proposal_is_a_task_for_someone_without_e_mail(engine, settings):
    ids = proposed_tandem(engine, settings, about_nour={"email": None, "phone": "+4915111112222"})
    with db(engine) as session:
        tandem = session.get(Tandem, ids.tandem_id)
        proposals.follow_up(session, now=tandem.answer_due_at + timedelta(minutes=1))
        assert tandem.status == "expired"
        kinds = [t.kind for t in session.scalars(select(ContactTask).order_by(ContactTask.id))]
        closed = session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.kind == "proposal_closed")
        ).all()
    assert kinds == ["proposal", "proposal_closed"]  # Nour is told by phone
    assert closed == ["lena@kassel.example"]


def test_a_tandem_ended_by_the_partner_is_a_task_for_someone_without_e_mail(engine, settings):
    from web.me.tandem import MyTandem, end_by_partner

    ids = proposed_tandem(engine, settings, about_nour={"email": None, "phone": "+4915111112222"})
    with db(engine) as session:
        tandem = session.get(Tandem, ids.tandem_id)
        coordinator = alice(session)
        now = START + timedelta(days=1)
        for person in (tandem.local, tandem.newcomer):
            proposals.answer_for(
                session, tandem, person, "accept", coordinator=coordinator, how="phone", now=now
            )
        assert tandem.status == "active"
        lena = tandem.local
        end_by_partner(
            session, MyTandem(tandem=tandem, side="local", partner_name="Nour"), lena,
            reason="drifted_apart", now=now + timedelta(days=30), base_url=settings.base_url,
        )  # fmt: skip
        kinds = [t.kind for t in session.scalars(select(ContactTask).order_by(ContactTask.id))]
        assert tandem.status == "ended"
    assert kinds[-1] == "tandem_ended"
