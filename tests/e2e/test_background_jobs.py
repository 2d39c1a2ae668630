"""Background jobs as people meet them (issue 18), in a real browser.

1. Katrin, a coordinator, in German at 1280 px: from the dashboard she follows "Matching",
   starts her region's run and reads its state and result on the run page; another region's
   run lost its worker (a ``running`` row whose heartbeat stopped long ago): its page says
   "failed" with the reason, and "start again" gives a finished run.
2. Ada, an admin, in Arabic (right to left) on a 360 px phone: from the dashboard she
   follows "failed jobs", reads the failed job's card (nothing wider than the screen),
   queues it again with the keyboard and sees it done. Katrin has no such link and gets 404.

The server runs jobs at once (``TANDEM_QUEUE_URL=immediate``, tests/conftest.py): a run
started in the browser is done when its page is shown; the lost run is seeded directly.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from tests.builders import PASSWORD, make_coordinator, make_participant, make_region
from tests.e2e.conftest import PHONE, LiveServer
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import Consent, FailedJob, MatchingRun, Region, utcnow
from web.core.participants import CONSENT_TEXT_VERSION
from web.core.vocabulary import RUN_ERRORS, RUN_STATES

if TYPE_CHECKING:
    from playwright.sync_api import Page

KATRIN = "katrin@example.org"
ADA = "ada@example.org"
HERE = "nordhessen"  # Katrin runs matching here
LOST = "werra"  # here a run lost its worker
DESKTOP = {"width": 1280, "height": 900}
SLOW = 60_000  # ms: the machine may be loaded
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ERROR = (
    "OperationalError: (psycopg.OperationalError) connection failed: connection to server at "
    '"db.internal.example", port 5432 failed: /var/lib/tandem/backups/tandem-2026-12-03.backup'
)


def _pair(session: Any, region: Region, now: Any) -> None:
    """A local and a newcomer who certainly fit (English, Tuesday evening, same town)."""
    for role, name, languages, locale in (
        ("local", "Lena", {"de": "native", "en": "B2"}, "de"),
        ("newcomer", "Nour", {"ar": "native", "en": "B2", "de": "A2"}, "ar"),
    ):
        person = make_participant(
            session,
            region,
            role=role,
            first_name=name,
            email=f"{name.lower()}.{region.slug}@example.org",
            locale=locale,
            languages=languages,
            slots=["tue_evening"],
            verified_at=now,
            approved_at=now,
            waiting_since=now.date() - timedelta(days=30) if role == "newcomer" else None,
            **({"capacity": 1} if role == "local" else {}),
        )
        person.consents = [
            Consent(purpose=purpose, text_version=CONSENT_TEXT_VERSION, language=locale,
                    given_at=now)
            for purpose in ("matching", "contact_sharing")
        ]  # fmt: skip
        session.add(person)


def seed(live_server: LiveServer) -> dict[str, int]:
    engine = live_server.engine()
    now = utcnow()
    try:
        with transaction(engine) as session:
            here, lost = make_region(session, HERE), make_region(session, LOST)
            for region in (here, lost):
                _pair(session, region, now)
            make_coordinator(session, KATRIN, regions=[here, lost])
            make_coordinator(session, ADA, role="admin")
            # Its worker died 10 minutes ago, in the middle of solving.
            dead = MatchingRun(
                region_id=lost.id,
                status="running",
                started_at=now - timedelta(minutes=12),
                heartbeat_at=now - timedelta(minutes=10),
                stats={"stage": "solving", "locals": 1, "newcomers": 1},
            )
            # Matching in every region failed last night: the database was away.
            job = FailedJob(
                task="web.runs.jobs.matching_run_everywhere",
                arguments=[date.today().isoformat()],  # noqa: DTZ011 (the job's own day)
                error=ERROR,
                failed_at=now - timedelta(hours=6),
            )
            session.add_all([dead, job])
            session.flush()
            return {"dead": int(dead.id or 0), "job": int(job.id or 0)}
    finally:
        engine.dispose()


def log_in(page: Page, email: str, locale: str) -> None:
    page.goto(f"/login?lang={locale}")
    page.locator("form[action='/login'] input[name=email]").fill(email)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/coordinator/?$"))


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def page_width() -> Any:
    viewport: Any = PHONE["viewport"]
    return viewport["width"]


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_a_coordinator_runs_matching_and_starts_a_lost_run_again(new_context, live_server):
    from playwright.sync_api import expect

    ids = seed(live_server)
    de = translations("de").gettext
    page = new_context(viewport=DESKTOP, locale="de-DE").new_page()
    page.set_default_timeout(SLOW)
    log_in(page, KATRIN, "de")

    # Dashboard → "Matching" → the region's start button → the run page.
    page.get_by_role("link", name=de("Matching"), exact=True).first.click()
    page.wait_for_url("**/coordinator/regions")
    expect(page.locator("h1")).to_have_text(de("Matching"))
    row = page.locator(f"tr[data-region='{HERE}']")
    expect(row.locator("td[data-count=waiting]")).to_have_text("1")
    row.get_by_role("button", name=de("Run matching")).click()
    page.wait_for_url(re.compile(r".*/coordinator/runs/\d+$"))
    status = page.locator("#run-status")
    expect(status).to_have_text(de(RUN_STATES["done"]))
    assert de(RUN_STATES["done"]) == "Fertig"
    expect(page.locator("h1")).to_have_text(
        de("Matching for %(region)s") % {"region": f"Region {HERE}"}
    )
    expect(page.locator("[data-number=pairs]")).to_have_text("1")
    expect(page.locator("#run-numbers")).to_contain_text(de("pairs suggested"))
    # German decimals have a comma ("0,26", "0,1"), not the program's point.
    expect(page.locator("[data-number=total_score]")).to_have_count(0)
    expect(page.locator("[data-number=seconds]")).to_have_text(re.compile(r"^\d+,\d$"))
    expect(page.get_by_role("link", name=de("Suggestions"))).to_be_visible()
    shoot(page, "run-done-de")

    # Back to the regions: the other region's run lost its worker and says so.
    page.get_by_role("link", name=de("Back to the regions")).click()
    lost_row = page.locator(f"tr[data-region='{LOST}']")
    lost_link = lost_row.get_by_role("link", name=de(RUN_STATES["failed"]))
    expect(lost_link).to_be_visible()
    lost_link.click()
    page.wait_for_url(f"**/coordinator/runs/{ids['dead']}")
    expect(status).to_have_text(de(RUN_STATES["failed"]))
    assert de(RUN_STATES["failed"]) == "Fehlgeschlagen"
    error = page.locator("#run-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(de(RUN_ERRORS["worker_lost"]))
    assert de(RUN_ERRORS["worker_lost"]) != RUN_ERRORS["worker_lost"]  # really German
    expect(error).not_to_contain_text("worker_lost")
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)  # no endless reload
    shoot(page, "run-lost-de")

    again = page.get_by_role("button", name=de("Start the matching again"))
    expect(again).to_be_visible()
    again.click()
    page.wait_for_url(re.compile(r".*/coordinator/runs/\d+$"))
    assert not page.url.endswith(f"/runs/{ids['dead']}")
    expect(status).to_have_text(de(RUN_STATES["done"]))
    expect(page.locator("[data-number=pairs]")).to_have_text("1")

    # The regions page now shows the new run as done, the lost one is failed for good.
    page.get_by_role("link", name=de("Back to the regions")).click()
    expect(lost_row.get_by_role("link", name=de(RUN_STATES["done"]))).to_be_visible()
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            dead = session.get(MatchingRun, ids["dead"])
            assert dead is not None and (dead.status, dead.error) == ("failed", "worker_lost")
    finally:
        engine.dispose()


def test_an_admin_queues_a_failed_job_again_on_a_phone_in_arabic(new_context, live_server):
    from playwright.sync_api import expect

    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            job = session.scalars(select(FailedJob).order_by(col(FailedJob.id))).first()
            job_id = job.id if job is not None else None
    finally:
        engine.dispose()
    if job_id is None:  # this test alone (pytest -k): seed the world here
        job_id = seed(live_server)["job"]
    ar = translations("ar").gettext
    width = int(page_width())
    page = new_context(**PHONE, locale="ar").new_page()
    page.set_default_timeout(SLOW)
    log_in(page, ADA, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    fits(page, width)

    link = page.get_by_role("link", name=ar("Failed jobs"), exact=True)
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**/coordinator/jobs/failed")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text(ar("Failed background jobs"))
    card = page.locator(f"li[data-job='{job_id}']")
    expect(card.locator("h2")).to_have_text(ar("Matching in every region"))
    assert ar("Matching in every region") != "Matching in every region"
    error = card.locator(".job-error code")
    expect(error).to_have_text(ERROR)
    # The English message reads left to right on its own lines, also on an Arabic page.
    style = error.evaluate(
        "e => [getComputedStyle(e).direction, getComputedStyle(e).display,"
        " getComputedStyle(e).textAlign]"
    )
    assert style == ["ltr", "block", "left"], style
    expect(card).not_to_contain_text("matching_run_everywhere")
    fits(page, width)
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    shoot(page, "failed-jobs-ar-360")

    button = card.get_by_role("button", name=ar("Queue again"))
    expect(button).to_be_visible()
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card).to_contain_text(ar("Queued again on %(when)s").split("%(when)s")[0].strip())
    fits(page, width)
    shoot(page, "failed-jobs-ar-360-queued")

    # The job ran: every region's newest run is done.
    page.get_by_role("link", name=ar("Matching"), exact=True).first.click()
    page.wait_for_url("**/coordinator/regions")
    for slug in (HERE, LOST):
        cell = page.locator(f"tr[data-region='{slug}'] td[data-run-status]")
        done = cell.get_by_role("link", name=ar(RUN_STATES["done"]))
        done.scroll_into_view_if_needed()
        expect(done).to_be_in_viewport()
    # One card per region on a phone: nothing hides in a sideways-scrolled table.
    wrap = page.locator(".table-wrap").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wrap[0] <= wrap[1], wrap
    assert ar(RUN_STATES["done"]) != RUN_STATES["done"]
    fits(page, width)
    shoot(page, "regions-ar-360")
    page.locator(f"tr[data-region='{HERE}'] td[data-run-status] a").click()
    page.wait_for_url(re.compile(r".*/coordinator/runs/\d+$"))
    expect(page.locator("#run-status")).to_have_text(ar(RUN_STATES["done"]))
    fits(page, width)
    shoot(page, "run-done-ar-360")

    # A coordinator who is no admin has no link and finds no page.
    katrin = new_context(viewport=DESKTOP, locale="de-DE").new_page()
    log_in(katrin, KATRIN, "de")
    expect(katrin.locator("nav.account a[href='/coordinator/']")).to_be_visible()
    expect(katrin.locator("a[href='/coordinator/jobs/failed']")).to_have_count(0)
    de = translations("de").gettext
    expect(katrin.get_by_role("link", name=de("Failed jobs"))).to_have_count(0)
    response = katrin.goto("/coordinator/jobs/failed")
    assert response is not None and response.status == 404
