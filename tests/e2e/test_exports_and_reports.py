"""A coordinator downloads the participant list for Excel and reads the funder report
(issue 15 §8, §9), on a phone (360 px), in German and in Arabic (right to left): from the
dashboard through the menu, the download links work, the report's figures come with their
charts, and nothing is wider than the screen."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import PHONE, LiveServer
from web.core import events
from web.core.db import transaction
from web.core.models import Region, Tandem, utcnow

ANNA = "anna.exports@example.org"


def seed(live_server: LiveServer) -> None:
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            region = session.scalars(select(Region).where(Region.slug == "kassel")).one()
            make_coordinator(session, ANNA, regions=[region])
            people = []
            for n, (first, role, year) in enumerate(
                [("Lena", "local", 1961), ("Nour", "newcomer", 1999), ("Jörg", "local", 2001),
                 ('=HYPERLINK("http://x","y")', "newcomer", 2009), ("Amal", "newcomer", 1985)]
            ):  # fmt: skip
                person = make_participant(
                    session, region, role=role, first_name=first, birth_year=year,
                    email=f"export{n}@example.org", created_at=now,
                )  # fmt: skip
                session.refresh(person)
                events.record_person(session, "signed_up", person, at=now)
                people.append(person)
            for local, newcomer, outcome in ((0, 1, "accepted"), (2, 4, "declined")):
                tandem = Tandem(
                    local_id=people[local].id, newcomer_id=people[newcomer].id,
                    region_id=region.id, status="proposed", proposed_at=now,
                )  # fmt: skip
                session.add(tandem)
                session.flush()
                events.record_proposal(session, "proposed", tandem, at=now)
                events.record_proposal(
                    session, outcome, tandem, at=now,
                    reason="newcomer_declined" if outcome == "declined" else None,
                )  # fmt: skip
    finally:
        engine.dispose()


def fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def test_download_the_list_and_read_the_funder_report_on_a_phone(
    new_context, live_server, tmp_path
):
    from playwright.sync_api import expect

    seed(live_server)
    shots = Path(os.environ.get("TANDEM_SCREENSHOTS") or tmp_path)  # to look at them
    shots.mkdir(parents=True, exist_ok=True)
    for lang in ("de", "ar"):
        page = new_context(**PHONE, locale=lang, accept_downloads=True).new_page()
        page.goto(f"/login?lang={lang}")
        page.locator("form[action='/login'] input[name=email]").fill(ANNA)
        page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/coordinator/?$"))

        page.locator("nav.account a[href='/coordinator/participants']").click()
        page.wait_for_url("**/coordinator/participants")
        fits(page)
        page.screenshot(path=str(shots / f"participants-{lang}.png"), full_page=True)
        with page.expect_download() as download:
            page.locator("p.downloads a").first.click()
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 6  # a header and five people
        assert '\'=HYPERLINK("http://x","y")' in [row[0] for row in rows]
        with page.expect_download() as download:
            page.locator("p.downloads a").nth(1).click()
        assert download.value.suggested_filename.endswith(".xlsx")

        page.locator("nav.account a[href='/coordinator/reports']").click()
        page.wait_for_url("**/coordinator/reports")
        fits(page)
        section = page.locator("section[data-figures=proposals]")
        expect(section.locator("svg.chart")).to_be_visible()
        expect(section.locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")
        page.locator("section[data-figures=proposals]").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"report-{lang}.png"), full_page=True)
        for name in ("proposals", "outcomes", "declined_reasons", "age_groups"):
            page.locator(f"section[data-figures={name}]").screenshot(
                path=str(shots / f"report-{lang}-{name}.png")
            )
        page.context.close()
