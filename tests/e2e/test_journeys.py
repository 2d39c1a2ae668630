"""The way in as people take it (shared/JOURNEYS.md 1 and 3): start at `/`, choose a
language with the visible switch, take the button for one's role, fill in the form,
confirm the address from the e-mail on another device, and see the confirmed profile.

After `/` the tests follow only what the screen shows: no typed address except the link
in the e-mail. Both roles in de, ar, fa and uk on a 360 px phone (tapping), and a subset
at 1280 px with the keyboard only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from tests.builders import db
from tests.e2e.conftest import PHONE, PLACE, LiveServer, link_in, wait_for_mail
from web.core.i18n import translations
from web.core.models import Participant

if TYPE_CHECKING:
    from playwright.sync_api import Page

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# The phone is set to English: choosing the language on the page is part of the journey.
BROWSER_LOCALE = "en-US"
WAY_IN = {
    "newcomer": "I am new here — find a partner",
    "local": "I live here — offer my time",
}
MAX_TAB_STOPS = 200


@dataclass(frozen=True)
class Journey:
    role: str
    locale: str
    device: str  # "phone" (tapping) or "desktop"
    keyboard: bool = False

    @property
    def context(self) -> dict[str, Any]:
        return {**(PHONE if self.device == "phone" else DESKTOP), "locale": BROWSER_LOCALE}

    @property
    def address(self) -> str:
        return f"{self.role}-{self.locale}-{self.device}@example.org"

    def __str__(self) -> str:
        return f"{self.role}-{self.locale}-{self.device}{'-keyboard' if self.keyboard else ''}"


JOURNEYS = [
    *(Journey(role, locale, "phone") for role in WAY_IN for locale in ("de", "ar", "fa", "uk")),
    Journey("local", "uk", "desktop", keyboard=True),
    Journey("newcomer", "ar", "desktop", keyboard=True),
]

# What each person types and ticks: a first name in their own script, the languages they
# speak (language, level), a time in the week and one thing to help with or get help with.
FIRST_NAMES = {"de": "Jürgen", "ar": "نور", "fa": "شیرین", "uk": "Олена"}
NATIVE = {"de": "de", "ar": "ar", "fa": "fa", "uk": "uk"}
HELP_TOPIC = {"local": "paperwork", "newcomer": "language_practice"}
SLOT = "tue_evening"


def answers(journey: Journey) -> dict[str, str]:
    """The text fields and selects, by the control's name."""
    second = "en" if journey.locale == "de" else "de"
    return {
        "first_name": FIRST_NAMES[journey.locale],
        "email": journey.address,
        "birth_year": "1990",
        "place": PLACE,
        "language_1": NATIVE[journey.locale],
        "level_1": "native",
        "language_2": second,
        "level_2": "B1" if journey.role == "local" else "A2",
    }


TICKS = {"slots": SLOT, "consent_matching": "1", "consent_contact": "1"}


def ticks(journey: Journey) -> set[tuple[str, str]]:
    return {*TICKS.items(), ("help_topics", HELP_TOPIC[journey.role])}


# --- tapping, as on a phone -----------------------------------------------------------


def choose_language_by_tapping(page: Page, locale: str) -> None:
    switch = page.locator(f"nav.languages a[lang={locale}]")
    assert switch.is_visible()
    with page.expect_navigation():
        switch.tap()


def fill_in_by_tapping(page: Page, journey: Journey) -> None:
    for name, value in answers(journey).items():
        control = page.locator(f"#participant-form [name={name}]")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.tap()
            page.keyboard.type(value)
    for name, value in ticks(journey):
        box = page.locator(f"#participant-form input[name={name}][value='{value}']")
        box.tap()
        assert box.is_checked(), f"tapping did not tick {name}={value}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
    with page.expect_navigation():
        page.locator("#participant-form button[type=submit]").tap()


# --- the keyboard only ----------------------------------------------------------------


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focus is on ``selector``; fail if it never gets there."""
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


def choose_language_by_keyboard(page: Page, locale: str) -> None:
    tab_to(page, f"nav.languages a[lang={locale}]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


FOCUSED = """() => {
  const el = document.activeElement;
  return {inForm: !!el.closest('#participant-form'), tag: el.tagName, type: el.type || '',
          name: el.getAttribute('name') || '', value: el.value || ''};
}"""


def fill_in_by_keyboard(page: Page, journey: Journey) -> None:
    """Tab through the form: type into the fields, pick options with the arrow keys,
    tick with Space, and send with Enter on the submit button."""
    typing, to_tick = answers(journey), ticks(journey)
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        name = focused["name"]
        if not focused["inForm"]:
            continue
        if focused["tag"] == "BUTTON" and focused["type"] == "submit" and not name:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        if focused["tag"] == "SELECT" and name in typing:
            pick_with_arrows(page, typing[name])
        elif focused["tag"] in ("INPUT", "TEXTAREA") and name in typing:
            page.keyboard.type(typing[name])
        elif (name, focused["value"]) in to_tick:
            page.keyboard.press("Space")
    raise AssertionError("Tab never reached the sign-up button")


def pick_with_arrows(page: Page, value: str) -> None:
    for _ in range(MAX_TAB_STOPS):
        if page.evaluate("document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reach the option {value!r}")


# --- the journey ----------------------------------------------------------------------


def status_of(live_server: LiveServer, address: str) -> str | None:
    engine = live_server.engine()
    try:
        with db(engine) as session:
            person = session.scalars(select(Participant).where(Participant.email == address))
            found = person.one_or_none()
            return found.status if found else None
    finally:
        engine.dispose()


@pytest.mark.parametrize("journey", JOURNEYS, ids=str)
def test_a_person_signs_up_from_the_landing_page(new_context, live_server, journey):
    gettext = translations(journey.locale).gettext
    page = new_context(**journey.context).new_page()
    page.goto("/")  # the only typed address: what the poster or the course gave them
    assert page.locator("html").get_attribute("lang") == "en", "the browser's language"

    if journey.keyboard:
        choose_language_by_keyboard(page, journey.locale)
    else:
        choose_language_by_tapping(page, journey.locale)
    assert page.locator("html").get_attribute("lang") == journey.locale

    way_in = page.get_by_role("link", name=gettext(WAY_IN[journey.role]), exact=True)
    box = way_in.bounding_box()
    assert box and box["height"] >= 44, "a button big enough for a thumb"
    assert box["y"] + box["height"] <= journey.context["viewport"]["height"], "seen at once"
    if journey.keyboard:
        tab_to(page, f".calls a[href='/signup/{journey.role}']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        with page.expect_navigation():
            way_in.tap()
    assert page.url.endswith(f"/signup/{journey.role}")
    assert page.locator("html").get_attribute("lang") == journey.locale

    if journey.keyboard:
        fill_in_by_keyboard(page, journey)
    else:
        fill_in_by_tapping(page, journey)
    assert page.url.endswith("/signup/sent"), page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == gettext("Please check your e-mail")
    assert status_of(live_server, journey.address) == "unverified"

    # The e-mail is opened on another device, whose browser knows nothing of the sign-up.
    link = link_in(wait_for_mail(live_server.mail_dir, journey.address), "/verify/")
    assert link.startswith(f"{live_server.url}/verify/")
    inbox = new_context(**journey.context).new_page()
    inbox.goto(link)
    if journey.keyboard:
        tab_to(inbox, "main form button[type=submit]")
        with inbox.expect_navigation():
            inbox.keyboard.press("Enter")
    else:
        with inbox.expect_navigation():
            inbox.locator("main form button[type=submit]").tap()

    assert inbox.url.endswith("/me?confirmed=1")
    assert inbox.locator("html").get_attribute("lang") == journey.locale
    name = FIRST_NAMES[journey.locale]
    assert inbox.locator("h1").inner_text() == gettext("Hello %(name)s") % {"name": name}
    notice = gettext("Thank you, your e-mail address is confirmed.")
    assert inbox.locator("p.notice").inner_text() == notice
    assert status_of(live_server, journey.address) == "pending"
