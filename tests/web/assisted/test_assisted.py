"""Issue 16: a coordinator registers people without e-mail, and acts for them where a
flow would mail them (Alice serves Kassel; Bob serves Göttingen and must see nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_participant,
    make_region,
)
from web.app import create_app
from web.core import phones
from web.core.models import (
    AuditLog,
    CheckIn,
    Consent,
    ContactTask,
    Coordinator,
    OutboxMessage,
    Participant,
    Region,
    Tandem,
    utcnow,
)
from web.proposals import proposals
from web.suggestions import suggestions


@pytest.fixture
def world(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.5, lon=9.9)
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_coordinator(session, "bob@example.org", regions=[goettingen])
    return engine


def newcomer_form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "first_name": "Amal",
        "last_name": "Haddad",
        "phone": "0151 23456789",
        "contact_channel": "phone",
        "interpreter_needed": "1",
        "interpreter_language": "ar",
        "birth_year": "1990",
        "place": "kassel-town",
        "language_1": "ar",
        "level_1": "native",
        "help_topics": ["paperwork"],
        "slots": ["tue_evening"],
        "partner_wish": "any",
        "consent_matching": "1",
        "consent_contact": "1",
        "consent_method": "phone",
        "person_locale": "de",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def as_coordinator(settings, email: str = "alice@example.org") -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app=create_app(settings))
    client.__enter__()
    assert login(client, email).status_code == 303
    return client


def register(client: TestClient, role: str = "newcomer", **overrides: object):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/coordinator/register/{role}")
    data = {**newcomer_form(**overrides), "_csrf_token": token}
    return client.post(f"/coordinator/register/{role}", data=data, follow_redirects=False)


def test_it_registers_a_newcomer_without_e_mail_with_witnessed_consent(world, settings):
    client = as_coordinator(settings)
    response = register(client)
    assert response.status_code == 303, response.text
    with db(world) as session:
        amal = session.scalars(select(Participant)).one()
        alice = session.scalars(
            select(Coordinator).where(Coordinator.email == "alice@example.org")
        ).one()
        assert (amal.email, amal.phone, amal.status) == (None, "+4915123456789", "active")
        assert (amal.contact_channel, amal.interpreter_language) == ("phone", "ar")
        assert amal.registered_by_id == alice.id
        consents = session.scalars(select(Consent)).all()
        assert {(c.purpose, c.method, c.witnessed_by_id) for c in consents} == {
            ("matching", "phone", alice.id),
            ("contact_sharing", "phone", alice.id),
        }
        assert session.scalars(select(OutboxMessage)).all() == []  # nothing sent
        actions = session.scalars(select(AuditLog.action)).all()
        assert "participant.registered.phone" in actions
    assert response.headers["location"] == f"/coordinator/participants/{amal.public_id}"
    page = client.get(response.headers["location"])
    shown = html(page).find("dd", attrs={"data-field": "phone"}).get_text(strip=True)
    assert shown == phones.national("+4915123456789") == "01512 3456789"
    consent = html(page).find("li", attrs={"data-consent": "matching"}).get_text()
    assert "Alice" in consent  # the witness, by name


def test_a_person_with_e_mail_gets_a_welcome_with_their_profile_link(world, settings):
    client = as_coordinator(settings)
    assert register(client, email="amal@example.org").status_code == 303
    with db(world) as session:
        [message] = session.scalars(select(OutboxMessage)).all()
        assert (message.to_address, message.kind) == ("amal@example.org", "address_recorded")
        assert "/me/open/" in message.body_text


def test_bad_input_is_shown_again_with_what_was_typed(world, settings):
    client = as_coordinator(settings)
    response = register(client, phone="12", consent_method="", first_name="Amal")
    assert response.status_code == 400
    page = html(response)
    assert page.find(id="f-phone-error") is not None
    assert page.find(id="f-consent_method-error") is not None
    assert page.find("input", attrs={"name": "phone"})["value"] == "12"
    with db(world) as session:
        assert session.scalars(select(Participant)).all() == []


def test_neither_phone_nor_e_mail_is_refused(world, settings):
    client = as_coordinator(settings)
    response = register(client, phone="", contact_channel="")
    assert response.status_code == 400
    assert html(response).find(id="f-phone-error") is not None


def test_a_coordinator_cannot_register_someone_in_another_region(world, settings):
    client = as_coordinator(settings, "bob@example.org")
    response = register(client)  # kassel-town is Alice's
    assert response.status_code == 400
    assert html(response).find(id="f-place-error") is not None


def test_possible_duplicates_are_shown_before_saving(world, settings):
    with db(world) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        make_participant(session, kassel, first_name="Amál", birth_year=1991, email=None)
    client = as_coordinator(settings)
    response = register(client, phone="0561 1234567")
    assert response.status_code == 409
    assert html(response).find(attrs={"data-duplicate": True}) is not None
    with db(world) as session:
        assert len(session.scalars(select(Participant)).all()) == 1
    confirmed = register(client, phone="0561 1234567", not_a_duplicate="1")
    assert confirmed.status_code == 303
    with db(world) as session:
        assert len(session.scalars(select(Participant)).all()) == 2


def test_a_minor_needs_a_guardian_and_their_consent(world, settings):
    this_year = utcnow().year
    client = as_coordinator(settings)
    response = register(client, birth_year=str(this_year - 14))
    assert response.status_code == 400
    page = html(response)
    for name in ("guardian_name", "guardian_relation", "guardian_phone", "consent_guardian"):
        assert page.find(id=f"f-{name}-error") is not None, name
    too_young = register(client, birth_year=str(this_year - 10))
    assert html(too_young).find(id="f-birth_year-error") is not None
    ok = register(
        client,
        birth_year=str(this_year - 14),
        guardian_name="Samira Haddad",
        guardian_relation="parent",
        guardian_phone="0151 76543210",
        consent_guardian="1",
    )
    assert ok.status_code == 303, [e.get_text() for e in html(ok).select(".error")]
    with db(world) as session:
        amal = session.scalars(select(Participant)).one()
        assert (amal.guardian_name, amal.guardian_phone) == ("Samira Haddad", "+4915176543210")
        assert sum(c.by_guardian for c in session.scalars(select(Consent))) == 2


def test_registering_is_for_coordinators_only(world, client):
    response = client.get("/coordinator/register/newcomer", follow_redirects=False)
    assert response.status_code in (302, 303, 401)


# --- proposals for people without e-mail ---------------------------------------------------------


def propose(engine, settings, *, newcomer_email=None):  # type: ignore[no-untyped-def]
    now = utcnow()
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        alice = session.scalars(
            select(Coordinator).where(Coordinator.email == "alice@example.org")
        ).one()
        sabine = make_participant(
            session, kassel, role="local", first_name="Sabine", email="sabine@example.org"
        )
        amal = make_participant(
            session, kassel, first_name="Amal", email=newcomer_email, phone="+4915123456789"
        )
        tandem = Tandem(local_id=sabine.id, newcomer_id=amal.id, region_id=kassel.id)
        session.add(tandem)
        session.flush()
        suggestions.confirm(session, tandem, alice, now=now)
        proposals.propose(session, tandem, settings=settings, now=now)
        return tandem.public_id, amal.id, sabine.id


def test_a_proposal_to_someone_without_e_mail_is_a_task_and_the_answer_is_recorded_for_them(
    world, settings
):
    public_id, amal_id, _ = propose(world, settings)
    with db(world) as session:
        mails = session.scalars(select(OutboxMessage.to_address)).all()
        assert mails == ["sabine@example.org"]  # only the local gets an e-mail
        [task] = session.scalars(select(ContactTask)).all()
        assert (task.participant_id, task.kind, task.done_at) == (amal_id, "proposal", None)
    client = as_coordinator(settings)
    board = html(client.get("/coordinator/"))
    item = board.find(attrs={"data-task": str(task.id)})
    assert "Amal" in item.get_text() and "Sabine" in item.get_text()
    link = item.find("a", href=f"/coordinator/proposals/{public_id}/newcomer")
    assert link is not None
    token = csrf_token(client, link["href"])
    answered = client.post(
        link["href"], data={"choice": "accept", "how": "phone", "_csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert answered.status_code == 303
    with db(world) as session:
        tandem = session.scalars(select(Tandem)).one()
        assert tandem.newcomer_answer == "accepted" and tandem.status == "proposed"
        assert session.scalars(select(ContactTask)).one().done_at is not None
        assert (
            "proposal.accepted.on_request.phone" in session.scalars(select(AuditLog.action)).all()
        )
    assert html(client.get("/coordinator/")).find(attrs={"data-task": str(task.id)}) is None


def test_another_regions_coordinator_cannot_answer_for_them(world, settings):
    public_id, _, _ = propose(world, settings)
    client = as_coordinator(settings, "bob@example.org")
    assert client.get(f"/coordinator/proposals/{public_id}/newcomer").status_code == 404
    with db(world) as session:
        assert session.scalars(select(ContactTask)).one().done_at is None


def test_when_both_said_yes_the_person_without_e_mail_gets_a_task_with_the_partners_contact(
    world, settings
):
    public_id, amal_id, _ = propose(world, settings)
    now = utcnow() + timedelta(minutes=1)
    with db(world) as session:
        tandem = session.scalars(select(Tandem)).one()
        alice = session.scalars(
            select(Coordinator).where(Coordinator.email == "alice@example.org")
        ).one()
        amal = session.get(Participant, amal_id)
        sabine = tandem.local
        for person in (amal, sabine):
            session.add(
                Consent(
                    participant_id=person.id,
                    purpose="contact_sharing",
                    text_version="v",
                    language="de",
                )
            )
        session.flush()
        session.refresh(amal)
        session.refresh(sabine)
        proposals.answer_for(
            session, tandem, amal, "accept", coordinator=alice, how="in_person", now=now
        )
        proposals.answer_for(
            session, tandem, sabine, "accept", coordinator=alice, how="phone", now=now
        )
        assert tandem.status == "active"
        kinds = sorted(t.kind for t in session.scalars(select(ContactTask)))
        assert kinds == ["proposal", "tandem_started"]
        started = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "tandem_started")
        ).one()
        assert started.to_address == "sabine@example.org"
        assert "01512 3456789" in started.body_text  # Amal's phone, as she agreed


# --- paper -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "direction"), [("ar", "rtl"), ("fa", "rtl"), ("de", "ltr")])
def test_the_sign_up_sheet_prints_in_the_persons_language(client, locale, direction):
    from web.core.i18n import translations

    gettext = translations(locale).gettext
    for role in ("newcomer", "local"):
        page = html(client.get(f"/sheet/{role}?lang={locale}"))
        assert page.find("html")["dir"] == direction
        sheet = page.find("article", class_="sheet")
        assert sheet["data-role"] == role
        text = sheet.get_text(" ", strip=True)
        consent = (
            "I agree that the programme stores my answers and uses them to find a tandem "
            "partner for me."
        )
        assert gettext(consent) in text
        assert len(sheet.select("span.box")) > 40  # boxes to tick, not form controls
        assert page.find("link", href="/static/sheet.css") is not None
    assert client.get("/sheet/admin").status_code == 404


def test_the_proposal_letter_is_in_the_persons_language(world, settings):
    from web.core.i18n import translations

    public_id, amal_id, _ = propose(world, settings)
    client = as_coordinator(settings)
    answer_page = html(client.get(f"/coordinator/proposals/{public_id}/newcomer"))
    letter_link = answer_page.find("a", href=lambda h: h and h.endswith("/letter?lang=de"))
    assert letter_link is not None  # Amal's locale is German in this world
    letter = client.get(f"/coordinator/proposals/{public_id}/newcomer/letter?lang=ar")
    page = html(letter)
    assert page.find("html")["dir"] == "rtl"
    title = translations("ar").gettext("Tandem: we would like to introduce you to %(name)s")
    assert page.find("h1").get_text(strip=True) == title % {"name": "Sabine"}
    assert "alice@example.org" in page.find("article").get_text()


# --- rights on request ------------------------------------------------------------------------


def on_request(client: TestClient, public_id: str, **data: str):  # type: ignore[no-untyped-def]
    url = f"/coordinator/participants/{public_id}/on-request"
    token = csrf_token(client, url)
    return client.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def test_a_coordinator_exports_pauses_and_erases_on_request_audited(world, settings):
    client = as_coordinator(settings)
    assert register(client).status_code == 303
    with db(world) as session:
        amal = session.scalars(select(Participant)).one()
        public_id = amal.public_id
    printed = on_request(client, public_id, action="print", how="phone")
    assert printed.status_code == 200
    exported = html(printed).find("pre", attrs={"data-export": True}).get_text()
    assert '"phone": "+4915123456789"' in exported and '"method": "phone"' in exported
    download = on_request(client, public_id, action="export", how="in_person")
    assert download.headers["content-type"].startswith("application/json")
    assert download.json()["profile"]["first_name"] == "Amal"
    assert on_request(client, public_id, action="pause", how="phone").status_code == 303
    with db(world) as session:
        assert session.scalars(select(Participant.status)).one() == "paused"
    unconfirmed = on_request(client, public_id, action="erase", how="phone")
    assert unconfirmed.status_code == 400
    assert (
        on_request(client, public_id, action="erase", how="phone", confirm="1").status_code == 303
    )
    with db(world) as session:
        assert session.scalars(select(Participant)).all() == []
        actions = set(session.scalars(select(AuditLog.action)))
    assert {
        "participant.print.on_request.phone",
        "participant.export.on_request.in_person",
        "participant.pause.on_request.phone",
        "participant.erase.on_request.phone",
    } <= actions


def test_another_regions_coordinator_cannot_act_on_request(world, settings):
    assert register(as_coordinator(settings)).status_code == 303
    with db(world) as session:
        public_id = session.scalars(select(Participant.public_id)).one()
    bob = as_coordinator(settings, "bob@example.org")
    assert bob.get(f"/coordinator/participants/{public_id}/on-request").status_code == 404


# --- correcting on request, the person's language ---------------------------------------------


def correct(client: TestClient, public_id: str, **overrides: object):  # type: ignore[no-untyped-def]
    url = f"/coordinator/participants/{public_id}/on-request/correct"
    token = csrf_token(client, url)
    data = {"how": "in_person", **newcomer_form(**overrides), "_csrf_token": token}
    return client.post(url, data=data, follow_redirects=False)


def test_a_coordinator_corrects_their_data_on_request_audited(world, settings):
    client = as_coordinator(settings)
    assert register(client).status_code == 303
    with db(world) as session:
        public_id = session.scalars(select(Participant.public_id)).one()
    url = f"/coordinator/participants/{public_id}/on-request/correct"
    rights = html(client.get(f"/coordinator/participants/{public_id}/on-request"))
    assert rights.find("a", href=url) is not None
    form = html(client.get(url)).find("form", id="participant-form")
    assert form["action"] == url
    assert form.find("input", attrs={"name": "first_name"})["value"] == "Amal"
    assert form.find("input", attrs={"name": "phone"})["value"] == "01512 3456789"
    assert (
        form.find("select", attrs={"name": "person_locale"}).find("option", selected=True)["value"]
        == "de"
    )
    assert form.find("input", attrs={"name": "consent_matching"}) is None  # as "edit my profile"
    response = correct(
        client,
        public_id,
        first_name="Amaal",
        phone="0561 1234567",
        contact_channel="sms",
        interpreter_language="fa",
        person_locale="ar",
        how="paper",
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/coordinator/participants/{public_id}"
    with db(world) as session:
        amal = session.scalars(select(Participant)).one()
        assert (amal.first_name, amal.phone, amal.contact_channel) == (
            "Amaal",
            "+495611234567",
            "sms",
        )
        assert (amal.interpreter_language, amal.locale) == ("fa", "ar")
        rows = session.scalars(select(AuditLog).where(AuditLog.action.like("%correct%"))).all()
        assert [(r.action, r.actor_type, r.subject_id) for r in rows] == [
            ("participant.correct.on_request.paper", "coordinator", str(amal.id))
        ]
        assert "participant.edited" in session.scalars(select(AuditLog.action)).all()


def test_another_regions_coordinator_cannot_correct_their_data(world, settings):
    assert register(as_coordinator(settings)).status_code == 303
    with db(world) as session:
        public_id = session.scalars(select(Participant.public_id)).one()
    bob = as_coordinator(settings, "bob@example.org")
    url = f"/coordinator/participants/{public_id}/on-request/correct"
    assert bob.get(url).status_code == 404
    token = csrf_token(bob, "/coordinator/register/newcomer")
    data = {**newcomer_form(first_name="Mallory", how="phone"), "_csrf_token": token}
    assert bob.post(url, data=data, follow_redirects=False).status_code == 404
    with db(world) as session:
        assert session.scalars(select(Participant.first_name)).one() == "Amal"


def test_a_correction_without_csrf_token_is_refused(world, settings):
    client = as_coordinator(settings)
    assert register(client).status_code == 303
    with db(world) as session:
        public_id = session.scalars(select(Participant.public_id)).one()
    url = f"/coordinator/participants/{public_id}/on-request/correct"
    refused = client.post(url, data={**newcomer_form(first_name="X"), "how": "phone"})
    assert refused.status_code == 403
    with db(world) as session:
        assert session.scalars(select(Participant.first_name)).one() == "Amal"


def test_a_bad_correction_is_shown_again_with_what_was_typed(world, settings):
    from web.core.i18n import translations

    client = as_coordinator(settings)
    assert register(client).status_code == 303
    with db(world) as session:
        public_id = session.scalars(select(Participant.public_id)).one()
    client.get("/coordinator/?lang=ar")
    response = correct(
        client,
        public_id,
        first_name="Amaal",
        birth_year="19x0",
        place="goettingen-town",
        person_locale="xx",
        how="",
    )
    assert response.status_code == 400
    page = html(response)
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Amaal"
    assert page.find("input", attrs={"name": "birth_year"})["value"] == "19x0"
    gettext = translations("ar").gettext
    summary = page.find("div", class_="error-summary").get_text(" ", strip=True)
    assert gettext("This town is not in one of your regions.") in summary
    assert gettext("Please choose how the person asked.") in summary
    assert gettext("Please choose a language from the list.") in summary
    with db(world) as session:
        assert session.scalars(select(Participant.first_name)).one() == "Amal"
        assert not session.scalars(select(AuditLog).where(AuditLog.action.like("%correct%"))).all()


def test_the_persons_language_is_stored_and_their_welcome_is_in_it(world, settings):
    from web.core.i18n import translations

    client = as_coordinator(settings)
    page = html(client.get("/coordinator/register/newcomer?lang=de"))
    select_ = page.find("select", attrs={"name": "person_locale"})
    assert select_.find("option", selected=True)["value"] == "de"  # the page's language
    names = {o["value"]: o.get_text(strip=True) for o in select_.find_all("option")}
    assert (names["ar"], names["fa_AF"], names["uk"]) == ("العربية", "دری", "українська")
    assert select_.find("option", value="ar")["dir"] == "rtl"
    response = register(client, email="amal@example.org", person_locale="ar")
    assert response.status_code == 303, response.text
    with db(world) as session:
        amal = session.scalars(select(Participant)).one()
        assert amal.locale == "ar"
        assert {c.language for c in session.scalars(select(Consent))} == {"ar"}
        [message] = session.scalars(select(OutboxMessage)).all()
    gettext = translations("ar").gettext
    assert message.locale == "ar"
    assert gettext("Hello %(name)s,") % {"name": "Amal"} in message.body_text
    assert "lang=ar" in message.body_text  # the link opens in Arabic


def test_a_registration_without_the_persons_language_is_refused(world, settings):
    client = as_coordinator(settings)
    response = register(client, person_locale="klingon", first_name="Amal")
    assert response.status_code == 400
    page = html(response)
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Amal"
    assert page.find(id="f-person_locale-error") is not None
    with db(world) as session:
        assert session.scalars(select(Participant)).all() == []


def test_a_check_in_for_someone_without_e_mail_is_a_task_answered_by_the_coordinator(
    world, settings
):
    from web.checkins import checkins

    public_id, amal_id, _ = propose(world, settings)
    now = utcnow() + timedelta(minutes=1)
    with db(world) as session:
        tandem = session.scalars(select(Tandem)).one()
        alice = session.scalars(
            select(Coordinator).where(Coordinator.email == "alice@example.org")
        ).one()
        for person in (tandem.newcomer, tandem.local):
            proposals.answer_for(
                session, tandem, person, "accept", coordinator=alice, how="phone", now=now
            )
        assert tandem.status == "active"
        checkins.send_due_checkins(session, settings=settings, now=now + timedelta(days=29))
        task = session.scalars(select(ContactTask).where(ContactTask.kind == "checkin")).one()
        assert task.participant_id == amal_id
    client = as_coordinator(settings)
    item = html(client.get("/coordinator/")).find(attrs={"data-task": str(task.id)})
    link = item.find("a", href=f"/coordinator/check-ins/{public_id}/newcomer")
    token = csrf_token(client, link["href"])
    missing = client.post(link["href"], data={"how": "phone", "_csrf_token": token})
    assert missing.status_code == 400
    assert html(missing).find(id="f-meetings-error") is not None
    answered = client.post(
        link["href"],
        data={"meetings": "weekly", "mood": "4", "note": "", "how": "phone", "_csrf_token": token},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    with db(world) as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.role == "newcomer")).one()
        assert (checkin.meetings, checkin.mood) == ("weekly", 4)
        assert session.get(ContactTask, task.id).done_at is not None
        actions = set(session.scalars(select(AuditLog.action)))
        assert "checkin.answered.on_request.phone" in actions
        # The local has not answered their fit-check question yet: one answer is not "done".
        assert session.scalars(select(Tandem)).one().fit_checked_at is None
