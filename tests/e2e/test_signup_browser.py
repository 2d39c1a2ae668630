"""Sign-up in a real browser: Nour on a small phone in Arabic, Jürgen with the keyboard only,
and the address confirmation from the e-mail the server wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tests.builders import db
from tests.e2e.conftest import PHONE, PLACE, LiveServer, link_in, wait_for_mail
from web.core.i18n import translations
from web.core.models import Participant

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The identity of a focused control that does not change while we type into it.
DESCRIBE = """el => {
  const form = el.closest('#participant-form') ? 'form' : 'page';
  const choice = el.type === 'checkbox' || el.type === 'radio' ? el.value : '';
  return [form, el.tagName.toLowerCase(), el.getAttribute('name') || el.getAttribute('href') || '',
          choice].join('|');
}"""

# The tab stops of the sign-up form in document order: one per radio group (its
# checked radio), nothing that is disabled, hidden or taken out with tabindex=-1.
EXPECTED_TAB_STOPS = (
    "form => { const describe = "
    + DESCRIBE
    + """;
  const seen = new Set();
  return [...form.querySelectorAll('a[href], button, input, select, textarea')].filter(el => {
    if (el.disabled || el.tabIndex < 0 || el.type === 'hidden' || !el.getClientRects().length) {
      return false;
    }
    if (el.type !== 'radio') return true;
    if (seen.has(el.name)) return false;
    const group = [...form.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
    const stop = group.find(radio => radio.checked) || group[0];
    if (stop !== el) return false;
    seen.add(el.name);
    return true;
  }).map(describe);
}"""
)

FOCUS_RING = """el => {
  const style = getComputedStyle(el);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
}"""


def person_with(live_server: LiveServer, address: str) -> dict[str, Any]:
    engine = live_server.engine()
    try:
        with db(engine) as session:
            person = session.scalars(select(Participant).where(Participant.email == address)).one()
            return {
                "role": person.role,
                "status": person.status,
                "locale": person.locale,
                "first_name": person.first_name,
                "birth_year": person.birth_year,
                "place": person.place.name,
                "languages": {spoken.language: spoken.level for spoken in person.languages},
                "slots": sorted(person.slots),
                "help_topics": sorted(person.help_topics),
                "interests": sorted(person.interests),
                "capacity": person.capacity,
                "consents": sorted(consent.purpose for consent in person.consents),
            }
    finally:
        engine.dispose()


def tap_type(page: Page, selector: str, text: str) -> None:
    page.locator(selector).tap()
    page.keyboard.type(text)


def test_it_signs_up_a_newcomer_in_arabic_on_a_small_phone(new_context, live_server):
    page = new_context(**PHONE).new_page()
    page.goto("/signup/newcomer?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"

    tap_type(page, "#f-first_name", "نور")
    tap_type(page, "#f-email", "nour@example.org")
    tap_type(page, "#f-birth_year", "1995")
    assert page.locator(f"#places option[value='{PLACE}']").count() == 1
    tap_type(page, "#f-place", PLACE)
    for row, (language, level) in enumerate([("ar", "native"), ("de", "A2")], start=1):
        page.locator(f"select[name=language_{row}]").select_option(language)
        page.locator(f"select[name=level_{row}]").select_option(level)
    for slot in ("tue_evening", "sat_morning", "sun_afternoon"):
        cell = page.locator("label.slot").filter(has=page.locator(f"input[value={slot}]"))
        box = cell.bounding_box()
        assert box and box["width"] >= 44 and box["height"] >= 44, f"{slot} is too small to tap"
        cell.tap()
        assert page.locator(f"input[name=slots][value={slot}]").is_checked()
    for topic in ("paperwork", "language_practice"):
        page.locator("label.chip").filter(has=page.locator(f"input[value={topic}]")).tap()
    page.locator("label.choice").filter(has=page.locator("input[name=consent_matching]")).tap()
    page.locator("label.choice").filter(has=page.locator("input[name=consent_contact]")).tap()

    # The page itself never scrolls sideways; the week table may scroll inside its wrapper.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    wrap = page.locator(".table-wrap").bounding_box()
    assert wrap and wrap["x"] >= 0 and wrap["x"] + wrap["width"] <= 360

    page.locator("#participant-form button[type=submit]").tap()
    page.wait_for_url("**/signup/sent")
    assert page.locator("h1").inner_text() == translations("ar").gettext("Please check your e-mail")
    assert person_with(live_server, "nour@example.org") == {
        "role": "newcomer",
        "status": "unverified",
        "locale": "ar",
        "first_name": "نور",
        "birth_year": 1995,
        "place": PLACE,
        "languages": {"ar": "native", "de": "A2"},
        "slots": ["sat_morning", "sun_afternoon", "tue_evening"],
        "help_topics": ["language_practice", "paperwork"],
        "interests": [],
        "capacity": 1,
        "consents": ["contact_sharing", "matching"],
    }


def test_it_signs_up_a_local_in_german_with_the_keyboard_only(page, live_server):
    german = translations("de").gettext
    typing = {
        "form|input|first_name|": "Jürgen",
        "form|input|email|": "juergen@example.org",
        "form|input|birth_year|": "1958",
        "form|input|place|": PLACE,
        # A closed <select> picks the option whose label starts with what is typed.
        "form|select|language_1|": german("German"),
        "form|select|level_1|": german("First language"),
        "form|select|language_2|": german("English"),
        "form|select|level_2|": "B1",
        "form|select|capacity|": "2",
        "form|textarea|about_me|": "Ich koche gern.",
    }
    ticks = {
        f"form|input|{name}|{value}"
        for name, value in [
            ("help_topics", "paperwork"),
            ("help_topics", "orientation"),
            ("interests", "hiking"),
            ("slots", "mon_evening"),
            ("slots", "thu_afternoon"),
            ("consent_matching", "1"),
            ("consent_contact", "1"),
        ]
    }
    ring_checked = set()
    page.goto("/signup/local?lang=de")
    expected = page.locator("#participant-form").evaluate(EXPECTED_TAB_STOPS)
    visited: list[str] = []
    for _ in range(len(expected) + 30):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        stop = focused.evaluate(DESCRIBE)
        if not visited:
            assert stop == "page|a|#main|", "the first tab stop is the skip link"
        visited.append(stop)
        kind = stop.split("|")[1]
        if kind not in ring_checked:  # once per kind of control: link, input, select, ...
            assert focused.evaluate(FOCUS_RING), f"no visible focus on {stop}"
            ring_checked.add(kind)
        if stop in typing:
            page.keyboard.type(typing[stop])
        elif stop in ticks:
            page.keyboard.press("Space")
        elif stop == "form|button||":
            page.keyboard.press("Enter")
            break
    else:
        raise AssertionError(f"never reached the submit button; visited {visited}")
    page.wait_for_url("**/signup/sent")

    assert [stop for stop in visited if stop.startswith("form|")] == expected
    assert ring_checked >= {"a", "button", "input", "select", "textarea"}
    assert person_with(live_server, "juergen@example.org") == {
        "role": "local",
        "status": "unverified",
        "locale": "de",
        "first_name": "Jürgen",
        "birth_year": 1958,
        "place": PLACE,
        "languages": {"de": "native", "en": "B1"},
        "slots": ["mon_evening", "thu_afternoon"],
        "help_topics": ["orientation", "paperwork"],
        "interests": ["hiking"],
        "capacity": 2,
        "consents": ["contact_sharing", "matching"],
    }


def test_it_confirms_the_address_from_the_email(new_context, live_server):
    address = "shirin@example.org"
    page = new_context().new_page()
    page.goto("/signup/newcomer?lang=fa")
    page.fill("#f-first_name", "شیرین")
    page.fill("#f-email", address)
    page.fill("#f-birth_year", "1988")
    page.fill("#f-place", PLACE)
    page.select_option("select[name=language_1]", "fa")
    page.select_option("select[name=level_1]", "native")
    page.check("input[name=slots][value=wed_morning]")
    page.check("input[name=help_topics][value=job]")
    page.check("input[name=consent_matching]")
    page.check("input[name=consent_contact]")
    page.click("#participant-form button[type=submit]")
    page.wait_for_url("**/signup/sent")

    link = link_in(wait_for_mail(live_server.mail_dir, address), "/verify/")
    assert link.startswith(f"{live_server.url}/verify/")
    # Opened from the mail program: a browser without the sign-up's cookies. Pages
    # follow the browser's language there (not the person's stored one), so it is a
    # Persian phone's browser.
    inbox = new_context(locale="fa-IR").new_page()
    inbox.goto(link)
    assert person_with(live_server, address)["status"] == "unverified", "a GET confirms nothing"
    inbox.locator("main form button[type=submit]").click()
    inbox.wait_for_url("**/me?confirmed=1")

    persian = translations("fa").gettext
    assert inbox.title().startswith(persian("My profile"))
    assert inbox.locator("p.notice").inner_text() == persian(
        "Thank you, your e-mail address is confirmed."
    )
    assert person_with(live_server, address)["status"] == "pending"


def test_enter_in_a_text_field_submits_the_form_and_keeps_the_language(page):
    # The language switch buttons come first in the document and belong to the form,
    # so without a default button ahead of them Enter would switch to the first language.
    page.goto("/signup/newcomer?lang=ar")
    page.focus("#f-first_name")
    page.keyboard.type("نور")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("#f-first_name").input_value() == "نور"
    assert page.locator(".alert").is_visible(), "a submission: the missing answers are marked"
