"""The whole path in a real browser, in German: Alice logs in, runs matching, reads a
suggestion's reasons and confirms it; both partners open their e-mails and say yes (Nour in
Arabic, the local in German); Alice sees the tandem active."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer, link_in, wait_for_subject
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import Consent, utcnow
from web.core.participants import CONSENT_TEXT_VERSION
from web.core.places import create_region

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The module's server already has a region "kassel" (conftest); this one is Alice's.
SLUG = "kassel-stadt"
ALICE = "alice@example.org"
VIEWPORT = {"width": 1280, "height": 900}
SLOW = 60_000  # ms: the machine may be loaded
MAIL_TIMEOUT = 15.0  # s
ARABIC = re.compile("[\u0600-\u06ff]")

# Two pairs that certainly fit: Lena and Nour (English B2, Tuesday evening, same town),
# Jan and Olena (German, Saturday morning).
PEOPLE: dict[str, dict[str, Any]] = {
    "lena": {
        "role": "local",
        "first_name": "Lena",
        "email": "lena@example.org",
        "locale": "de",
        "birth_year": 1980,
        "languages": {"de": "native", "en": "B2"},
        "slots": ["tue_evening"],
        "capacity": 1,
    },
    "jan": {
        "role": "local",
        "first_name": "Jan",
        "email": "jan@example.org",
        "locale": "de",
        "birth_year": 1975,
        "languages": {"de": "native"},
        "slots": ["sat_morning"],
        "capacity": 1,
    },
    "nour": {
        "role": "newcomer",
        "first_name": "Nour",
        "email": "nour@example.org",
        "locale": "ar",
        "birth_year": 1995,
        "languages": {"ar": "native", "en": "B2", "de": "A2"},
        "slots": ["tue_evening"],
    },
    "olena": {
        "role": "newcomer",
        "first_name": "Olena",
        "email": "olena@example.org",
        "locale": "de",
        "birth_year": 1990,
        "languages": {"uk": "native", "de": "B1"},
        "slots": ["sat_morning"],
    },
}


def seed(live_server: LiveServer) -> None:
    """Alice's region around Kassel with its real places, and four people ready to match."""
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            region = create_region(session, slug=SLUG, name="Kassel", centre="Kassel", radius_km=10)
            session.refresh(region)
            assert len(region.places) > 1, "the region should have several places"
            town = next(place for place in region.places if place.name == "Kassel")
            make_coordinator(session, ALICE, regions=[region])
            for values in PEOPLE.values():
                person = make_participant(
                    session,
                    region,
                    **values,
                    status="active",
                    place_id=town.id,
                    verified_at=now,
                    approved_at=now,
                    waiting_since=now.date() - timedelta(days=30)
                    if values["role"] == "newcomer"
                    else None,
                )
                person.consents = [
                    Consent(
                        purpose=purpose,
                        text_version=CONSENT_TEXT_VERSION,
                        language=values["locale"],
                        given_at=now,
                    )
                    for purpose in ("matching", "contact_sharing")
                ]
                session.add(person)
            session.flush()
    finally:
        engine.dispose()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the e-mail has no text part"
    return body.get_content()


def answer_yes(page: Page, link: str, *, locale: str, direction: str, then: str) -> None:
    """Open the answer link, check the page's language and direction, say yes; ``then`` is
    what the thank-you page must say afterwards."""
    from playwright.sync_api import expect

    gettext = translations(locale).gettext
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    accept = page.locator("form[action^='/answer/'] button[name=choice][value=accept]")
    expect(accept).to_have_text(gettext("Yes, I would like to meet"))
    accept.click()
    expect(page.locator("article.proposal h1")).to_have_text(gettext("Thank you for your answer"))
    expect(page.locator("article.proposal")).to_contain_text(then)
    expect(accept).to_have_count(0)


def test_a_coordinator_pairs_two_people_who_both_say_yes(new_context, live_server):
    seed(live_server)
    german = translations("de").gettext
    arabic = translations("ar").gettext
    from playwright.sync_api import expect

    # --- Alice logs in and runs matching ---------------------------------------------
    alice = new_context(viewport=VIEWPORT, locale="de-DE").new_page()
    alice.set_default_timeout(SLOW)
    alice.goto("/login?lang=de")
    alice.locator("form[action='/login'] input[name=email]").fill(ALICE)
    alice.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    alice.locator("form[action='/login'] button[type=submit]").click()
    alice.wait_for_url(re.compile(r".*/coordinator.*"))

    alice.goto("/coordinator/regions?lang=de")
    row = alice.locator(f"tr[data-region='{SLUG}']")
    expect(row.locator("td[data-count=locals]")).to_have_text("2")
    expect(row.locator("td[data-count=waiting]")).to_have_text("2")
    run_button = row.locator(f"form[action='/coordinator/regions/{SLUG}/match'] button")
    expect(run_button).to_have_text(german("Run matching"))
    run_button.click()

    # The run page reloads itself every 2 s until the engine is done.
    alice.wait_for_url(re.compile(r".*/coordinator/runs/\d+"))
    alice.wait_for_selector("#run-status[data-status=done]", timeout=SLOW)
    expect(alice.locator("[data-number=pairs]")).to_have_text("2")
    alice.locator(f"a[href='/coordinator/regions/{SLUG}/suggestions']").first.click()
    alice.wait_for_url(f"**/coordinator/regions/{SLUG}/suggestions*")

    # --- the suggestion of Nour, its reasons in German, confirmed ------------------
    card = alice.locator("li.suggestion").filter(
        has=alice.locator(".person[data-role=newcomer] h3", has_text="Nour")
    )
    expect(card).to_have_count(1)
    expect(card.locator(".person[data-role=local] h3")).to_contain_text("Lena")
    reasons = card.locator("ul.reasons li")
    expect(reasons.first).to_be_visible()
    expect(reasons.filter(has_text="Englisch").first).to_be_visible()
    expect(reasons.filter(has_text="Dienstag").first).to_be_visible()
    confirm = card.locator("button[data-action=confirm]")
    expect(confirm).to_have_text(german("Confirm"))
    suggestion = card.get_attribute("data-suggestion")
    confirm.click()
    alice.wait_for_load_state()
    expect(alice.locator(f"li#s-{suggestion}")).to_have_count(0)

    # --- one proposal e-mail per partner, each in their language -------------------
    to_nour = wait_for_subject(
        live_server.mail_dir,
        "nour@example.org",
        arabic("Tandem: we would like to introduce you to %(name)s") % {"name": "Lena"},
    )
    to_lena = wait_for_subject(
        live_server.mail_dir,
        "lena@example.org",
        german("Tandem: we would like to introduce you to %(name)s") % {"name": "Nour"},
    )
    assert ARABIC.search(str(to_nour["Subject"])), to_nour["Subject"]
    assert ARABIC.search(text_of(to_nour))
    assert "Nour" in text_of(to_lena) and not ARABIC.search(text_of(to_lena))
    nour_link = link_in(to_nour, "/answer/")
    lena_link = link_in(to_lena, "/answer/")
    assert nour_link != lena_link

    # --- both say yes, each in a browser without Alice's cookie ---------------------
    nour = new_context(viewport=VIEWPORT).new_page()
    nour.set_default_timeout(SLOW)
    answer_yes(
        nour,
        nour_link,
        locale="ar",
        direction="rtl",
        then=arabic("You said yes. We will write to you as soon as %(partner)s has answered.")
        % {"partner": "Lena"},
    )
    lena = new_context(viewport=VIEWPORT).new_page()
    lena.set_default_timeout(SLOW)
    answer_yes(
        lena,
        lena_link,
        locale="de",
        direction="ltr",
        then=german(
            "You and %(partner)s are now a tandem. "
            "We have sent you an e-mail about how to get in touch."
        )
        % {"partner": "Nour"},
    )

    # --- both hear that the tandem started; Alice sees it active ----------------------
    wait_for_subject(
        live_server.mail_dir,
        "nour@example.org",
        arabic("You and %(name)s are now a tandem") % {"name": "Lena"},
    )
    wait_for_subject(
        live_server.mail_dir,
        "lena@example.org",
        german("You and %(name)s are now a tandem") % {"name": "Nour"},
    )

    alice.goto("/coordinator/proposals?lang=de")
    started = alice.locator(f"table.recent tr[data-tandem='{suggestion}']")
    expect(started).to_have_attribute("data-status", "active")
    expect(started).to_contain_text(german("Both said yes: tandem started"))
    expect(alice.locator(f"table.open tr[data-tandem='{suggestion}']")).to_have_count(0)
