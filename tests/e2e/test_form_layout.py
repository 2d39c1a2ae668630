"""The sign-up form with errors, as a phone shows it: the summary takes the focus, radio and
checkbox labels sit beside their control in normal weight, the focus ring is visible.

Set TANDEM_SCREENSHOT_DIR to keep a full-page screenshot of each case.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from web.core.i18n import translations

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "has_touch": True}
# Where the text of a label sits compared with its control.
LABEL_GEOMETRY = """(input) => {
  const label = input.closest('label');
  const range = document.createRange();
  range.selectNodeContents(label);
  const box = input.getBoundingClientRect();
  const text = [...range.getClientRects()].filter(r => r.width > 0 && r.left !== box.left);
  return {
    inputMiddle: box.top + box.height / 2,
    textTop: Math.min(...text.map(r => r.top)), textBottom: Math.max(...text.map(r => r.bottom)),
    overlapsInput: text.some(r => r.left < box.right && r.right > box.left),
    weight: parseInt(getComputedStyle(label).fontWeight, 10),
  };
}"""


@pytest.mark.parametrize("locale", ["de", "ar"])
def test_a_form_with_errors_leads_to_them_and_keeps_labels_beside_their_boxes(new_context, locale):
    page = new_context(**PHONE).new_page()
    page.goto(f"/signup/newcomer?lang={locale}")
    page.locator("#participant-form button[type=submit]").tap()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    summary.wait_for()
    # The summary has the focus, so a screen reader reads it first.
    # (autofocus is applied at the next rendering step after the page loads; Playwright's own
    # assertion waits for it: a polled string predicate is an eval the page's CSP refuses)
    from playwright.sync_api import expect

    expect(summary).to_be_focused()
    expected = translations(locale).gettext("Please check the marked fields.")
    assert summary.locator("p").first.inner_text() == expected
    links = summary.locator("a")
    assert links.count() >= 5
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        assert page.locator(target).count() == 1, target

    for selector in ("input[name=gender]", "input[name=consent_matching]"):
        geometry = page.locator(selector).first.evaluate(LABEL_GEOMETRY)
        # The control is level with the label's text and beside it, not above or below it.
        assert geometry["textTop"] <= geometry["inputMiddle"] <= geometry["textBottom"], (
            selector,
            geometry,
        )
        assert not geometry["overlapsInput"], (selector, geometry)
        assert geometry["weight"] <= 400, (selector, geometry)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if folder := os.environ.get("TANDEM_SCREENSHOT_DIR"):  # the page in screens of 740 px
        height = page.evaluate("document.documentElement.scrollHeight")
        for n, top in enumerate(range(0, height, 740)):
            page.screenshot(
                path=str(Path(folder) / f"signup-errors-{locale}-360-{n:02d}.png"),
                full_page=True,
                clip={"x": 0, "y": top, "width": 360, "height": min(740, height - top)},
            )


def test_the_focus_ring_is_the_dark_amber(page):
    page.goto("/signup/newcomer?lang=de")
    page.locator("#f-first_name").focus()
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    colour = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert colour == "rgb(180, 83, 9)"  # #b45309: 5:1 against white
