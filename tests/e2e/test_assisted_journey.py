"""Issue 16, journey 2 (a newcomer without e-mail), in a real browser: Alice registers Amal,
who has no e-mail, from the dashboard with the form's labels in Arabic and consent given by
phone; runs matching and confirms Amal with Sabine; records Amal's "yes" from the task on
her dashboard while Sabine says yes by the link in her e-mail; the tandem starts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import PHONE, PLACE, LiveServer, link_in, wait_for_mail
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import AuditLog, Consent, Coordinator, Participant, Region, Tandem, utcnow

if TYPE_CHECKING:
    from playwright.sync_api import Page

ALICE = "alice@example.org"
SABINE = "sabine@example.org"
VIEWPORT = {"width": 1280, "height": 900}
SLOW = 60_000  # ms
german = translations("de").gettext
arabic = translations("ar").gettext


def seed(live_server: LiveServer) -> None:
    """Alice coordinates Kassel; Sabine (a local with e-mail, speaks Arabic) waits there."""
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            if session.scalars(select(Coordinator).where(Coordinator.email == ALICE)).first():
                return  # the module's server is shared: seeded by an earlier test
            kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
            make_coordinator(session, ALICE, regions=[kassel])
            sabine = make_participant(
                session, kassel, role="local", first_name="Sabine", email=SABINE, locale="de",
                birth_year=1970, languages={"de": "native", "ar": "B2"}, slots=["tue_evening"],
                help_topics=["paperwork"], verified_at=now, approved_at=now,
            )  # fmt: skip
            sabine.consents = [
                Consent(purpose=p, text_version="v", language="de", given_at=now)
                for p in ("matching", "contact_sharing")
            ]
    finally:
        engine.dispose()


def log_in(page: Page) -> None:
    page.goto("/login?lang=de")
    page.locator("form[action='/login'] input[name=email]").fill(ALICE)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator.*"))


def register_amal_in_arabic(alice: Page) -> None:
    from playwright.sync_api import expect

    alice.get_by_role("link", name=german("Register a newcomer")).click()
    alice.wait_for_url("**/coordinator/register/newcomer")
    # The language switch keeps the form (it submits it): labels in Amal's language.
    alice.locator("button[name=_switch_lang][value=ar]").click()
    expect(alice.locator("html")).to_have_attribute("dir", "rtl")
    expect(alice.locator("label[for=f-phone]")).to_have_text(arabic("Phone number (optional)"))
    form = alice.locator("#participant-form")
    form.locator("input[name=first_name]").fill("Amal")
    form.locator("input[name=phone]").fill("0151 23456789")
    form.locator("input[name=contact_channel][value=phone]").check()
    form.locator("select[name=person_locale]").select_option("ar")  # her letters in Arabic
    form.locator("input[name=birth_year]").fill("1990")
    form.locator("input[name=place]").fill(PLACE)
    form.locator("select[name=language_1]").select_option("ar")
    form.locator("select[name=level_1]").select_option("native")
    form.locator("select[name=language_2]").select_option("de")
    form.locator("select[name=level_2]").select_option("A2")
    form.locator("input[name=help_topics][value=paperwork]").check()
    form.locator("input[name=slots][value=tue_evening]").check()
    form.locator("input[name=consent_method][value=phone]").check()
    form.locator("input[name=consent_matching]").check()
    form.locator("input[name=consent_contact]").check()
    submit = form.locator("button[type=submit]")
    expect(submit).to_have_text(arabic("Check and register"))
    submit.click()
    alice.wait_for_url(re.compile(r".*/coordinator/participants/[0-9a-f]{32}$"))
    expect(alice.locator("dd[data-field=phone]")).to_contain_text("01512 3456789")


def test_a_coordinator_registers_a_newcomer_without_e_mail_and_answers_for_her(
    new_context, live_server
):
    from playwright.sync_api import expect

    seed(live_server)
    alice = new_context(viewport=VIEWPORT, locale="de-DE").new_page()
    alice.set_default_timeout(SLOW)
    log_in(alice)
    register_amal_in_arabic(alice)
    alice.get_by_role("link", name="Deutsch").click()  # back to German for herself

    # --- matching, and the suggestion Amal–Sabine confirmed -----------------------------------
    alice.goto("/coordinator/regions?lang=de")
    alice.locator(
        "tr[data-region='kassel'] form[action='/coordinator/regions/kassel/match'] button"
    ).click()
    alice.wait_for_selector("#run-status[data-status=done]", timeout=SLOW)
    alice.locator("a[href='/coordinator/regions/kassel/suggestions']").first.click()
    card = alice.locator("li.suggestion").filter(
        has=alice.locator(".person[data-role=newcomer] h3", has_text="Amal")
    )
    expect(card.locator(".person[data-role=local] h3")).to_contain_text("Sabine")
    card.locator("button[data-action=confirm]").click()
    alice.wait_for_load_state()

    # --- Sabine gets an e-mail; Amal a task on Alice's dashboard ----------------------------
    to_sabine = wait_for_mail(live_server.mail_dir, SABINE, timeout=15)
    sabine_link = link_in(to_sabine, "/answer/")
    alice.get_by_role("link", name=german("Dashboard")).first.click()
    task = alice.locator("#contact-tasks li[data-task]")
    expect(task).to_have_count(1)
    expect(task).to_contain_text(german("Call %(name)s") % {"name": "Amal"})
    expect(task).to_contain_text(german("proposal with %(partner)s") % {"partner": "Sabine"})
    expect(task.locator("a[href^='tel:']")).to_have_text("01512 3456789")
    task.get_by_role("link", name=german("Record their answer")).click()
    alice.locator("input[name=choice][value=accept]").check()
    alice.locator("input[name=how][value=phone]").check()
    alice.get_by_role("button", name=german("Record the answer")).click()
    alice.wait_for_url(re.compile(r".*/coordinator/\?done=answer"))
    expect(alice.locator("#contact-tasks li[data-task]")).to_have_count(0)

    # --- Sabine says yes on a phone, by her link ---------------------------------------------
    sabine = new_context(**PHONE, locale="de-DE").new_page()
    sabine.set_default_timeout(SLOW)
    sabine.goto(sabine_link)
    sabine.locator("form[action^='/answer/'] button[name=choice][value=accept]").click()
    expect(sabine.locator("article.proposal h1")).to_have_text(german("Thank you for your answer"))

    # --- the tandem started; Alice is asked to pass Sabine's contact on to Amal ---------------
    alice.goto("/coordinator/proposals?lang=de")
    expect(alice.locator("table.recent tr[data-status=active]")).to_contain_text("Amal")
    alice.get_by_role("link", name=german("Dashboard")).first.click()
    expect(alice.locator("#contact-tasks li[data-task]")).to_contain_text(
        german("the tandem with %(partner)s starts: pass on contact details")
        % {"partner": "Sabine"}
    )
    started = wait_for_mail(live_server.mail_dir, SABINE, timeout=15)
    assert "01512 3456789" in started.get_body(preferencelist=("plain",)).get_content()
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            amal = session.scalars(
                select(Participant).where(Participant.first_name == "Amal")
            ).one()
            assert amal.email is None and amal.locale == "ar"
            tandem = session.scalars(select(Tandem).where(Tandem.newcomer_id == amal.id)).one()
            assert (tandem.status, tandem.newcomer_answer, tandem.local_answer) == (
                "active", "accepted", "accepted",
            )  # fmt: skip
            actions = set(session.scalars(select(AuditLog.action)))
            assert {"participant.registered.phone", "proposal.accepted.on_request.phone"} <= actions
    finally:
        engine.dispose()


def test_the_sign_up_sheets_print_in_arabic_right_to_left_and_in_german(
    new_context, live_server, tmp_path
):
    """From the dashboard's link, in print: black boxes to tick, no navigation, and the boxes
    on the right in Arabic, on the left in German (screenshots kept in ``tmp_path``)."""
    from playwright.sync_api import expect

    seed(live_server)
    alice = new_context(viewport={"width": 794, "height": 1123}, locale="de-DE").new_page()
    alice.set_default_timeout(SLOW)
    log_in(alice)
    for role, label in (("newcomer", german("Newcomer")), ("local", german("Local"))):
        alice.goto("/coordinator/?lang=de")
        alice.locator("#contact-tasks").get_by_role("link", name=label, exact=True).click()
        alice.wait_for_url(f"**/sheet/{role}*")
        for locale, direction in (("ar", "rtl"), ("de", "ltr")):
            alice.locator(f"nav.languages a[href='?lang={locale}']").click()
            expect(alice.locator("html")).to_have_attribute("dir", direction)
            alice.emulate_media(media="print")
            expect(alice.locator("header.top")).to_be_hidden()
            consent = translations(locale).gettext(
                "I agree that the programme stores my answers and uses them to find a tandem "
                "partner for me."
            )
            expect(alice.locator("article.sheet")).to_contain_text(consent)
            box = alice.locator("article.sheet ul.options span.box").first.bounding_box()
            assert box is not None
            on_the_right = box["x"] > 794 / 2
            assert on_the_right == (direction == "rtl"), (role, locale, box)
            alice.screenshot(path=str(tmp_path / f"sheet-{role}-{locale}.png"), full_page=True)
            alice.emulate_media(media="screen")
    assert len(list(tmp_path.glob("sheet-*.png"))) == 4


def test_an_admin_adds_an_e_mail_address_on_request_and_the_audit_log_says_so_in_words(
    new_context, live_server, tmp_path
):
    """Ada (admin, on a phone) opens Karim's page from the participants list, corrects his
    data on his request in person — the form in his language, Arabic — adding the address he
    gave her; Karim gets his profile link; the audit log says what happened, in German."""
    from playwright.sync_api import expect

    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
            make_coordinator(session, "ada@example.org", role="admin")
            make_participant(
                session, kassel, first_name="Karim", email=None, phone="+4915122223333",
                contact_channel="phone", birth_year=1985, languages={"ar": "native"},
                help_topics=["paperwork"], locale="ar",
            )  # fmt: skip
    finally:
        engine.dispose()
    ada = new_context(**PHONE, locale="de-DE").new_page()
    ada.set_default_timeout(SLOW)
    ada.goto("/login?lang=de")
    ada.locator("form[action='/login'] input[name=email]").fill("ada@example.org")
    ada.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    ada.locator("form[action='/login'] button[type=submit]").click()
    ada.wait_for_url(re.compile(r".*/coordinator.*"))
    ada.get_by_role("link", name=german("Participants"), exact=True).first.click()
    ada.get_by_role("link", name="Karim").first.click()
    ada.get_by_role("link", name=german("On their request: correct, export, pause, erase")).click()
    expect(ada.locator("[data-no-address]")).to_be_visible()  # no link to send him
    ada.screenshot(path=str(tmp_path / "rights-de-360.png"), full_page=True)
    ada.get_by_role("link", name=german("Open the form with their data")).click()
    ada.locator("button[name=_switch_lang][value=ar]").first.click()  # his language
    expect(ada.locator("html")).to_have_attribute("dir", "rtl")
    form = ada.locator("#participant-form")
    expect(form.locator("label[for=f-email]")).to_have_text(arabic("E-mail address (optional)"))
    form.locator("input[name=email]").fill("karim@example.org")
    form.locator("input[name=how][value=in_person]").check()
    ada.screenshot(path=str(tmp_path / "correct-ar-360.png"), full_page=True)
    width = ada.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width  # nothing wider than the phone
    form.locator("button[type=submit]:not([name])").click()
    ada.wait_for_url(re.compile(r".*/coordinator/participants/[0-9a-f]+$"))
    to_karim = wait_for_mail(live_server.mail_dir, "karim@example.org", timeout=15)
    assert "/me/open/" in link_in(to_karim, "/me/open/")
    ada.locator("nav.languages a[href='?lang=de']").click()
    ada.get_by_role("link", name=german("Audit log")).first.click()
    actions = ada.locator("table.audit td[data-action]")
    way = german("on request in person")
    expect(actions.filter(has_text=german("E-mail address changed"))).to_have_text(
        f"{german('E-mail address changed')}, {way}"
    )
    expect(actions.filter(has_text=german("Data corrected"))).to_have_text(
        f"{german('Data corrected')}, {way}"
    )
    ada.screenshot(path=str(tmp_path / "audit-de-360.png"), full_page=True)
    assert len(list(tmp_path.glob("*-360.png"))) == 3
