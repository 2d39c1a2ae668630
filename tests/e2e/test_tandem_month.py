"""One month in the life of a tandem (issue #6), in a real browser.

Carla has proposed Jonas (a local, German) and Daria (a newcomer, Ukrainian) to each
other. Both say yes from their e-mails. Four weeks later ``tandem check-ins`` sends
the fit check; Daria answers it, worried, without logging in. Jonas opens his profile
from an e-mail and reports that Daria does not answer. Carla sees both on her
dashboard, handles them, ends the tandem ("partner unreachable") and finds it in the
month's report and its CSV.
"""

from __future__ import annotations

import csv
import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from typing import TYPE_CHECKING
from unittest import mock

from sqlalchemy import select

from tests.builders import PASSWORD, make_coordinator, make_participant
from tests.e2e.conftest import LiveServer, link_in, wait_for_subject
from web.cli import main
from web.core.db import transaction
from web.core.i18n import translations
from web.core.models import CheckIn, Consent, ProblemReport, Region, Tandem, utcnow
from web.core.participants import CONSENT_TEXT_VERSION
from web.core.settings import Settings
from web.proposals import proposals
from web.suggestions import suggestions
from web.tandems import lifecycle

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SLUG = "kassel"  # the module's region (conftest)
CARLA = "carla@example.org"
JONAS = "jonas@example.org"
DARIA = "daria@example.org"
SECRET_KEY = "e2e-secret-key-with-more-than-32-characters"  # the live_server fixture's
VIEWPORT = {"width": 1280, "height": 900}
SLOW = 30_000  # ms: the machine may be loaded
DARIAS_REMARK = "Jonas has not answered my messages for two weeks."
JONAS_NOTE = "I wrote to Daria twice and called once, no answer."
FOUR_WEEKS = lifecycle.FIT_CHECK_AFTER

de = translations("de").gettext
uk = translations("uk").gettext


def tandem_command(live_server: LiveServer, *args: str) -> str:
    """Run ``tandem <args>`` as cron would, against the live server's database and mail
    (in this process: the command is the same, a subprocess only adds a second of imports)."""
    env = {
        "TANDEM_ENV": "development",
        "TANDEM_DATABASE_URL": live_server.database_url,
        "TANDEM_SECRET_KEY": SECRET_KEY,
        "TANDEM_MAIL_DIR": str(live_server.mail_dir),
        "TANDEM_BASE_URL": live_server.url,
    }
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, env), redirect_stdout(out), redirect_stderr(err):
        os.environ.pop("TANDEM_SMTP_HOST", None)
        returncode = main(list(args))
    assert returncode == 0, f"tandem {' '.join(args)}: {err.getvalue()}"
    return out.getvalue().strip()


def send_mail(live_server: LiveServer) -> None:
    """``tandem send-mail`` for e-mails the CLI or the seed queued (the server's sender
    only wakes for its own commits, else once a minute, so it may have sent some)."""
    assert re.fullmatch(r"sent [0-2], failed 0", tandem_command(live_server, "send-mail"))


def propose(live_server: LiveServer) -> str:
    """Carla, Jonas and Daria; the pair confirmed and proposed (e-mails in the outbox).
    Returns the tandem's public id."""
    engine = live_server.engine()
    now = utcnow()
    people = {
        JONAS: {"role": "local", "first_name": "Jonas", "locale": "de", "capacity": 1},
        DARIA: {"role": "newcomer", "first_name": "Daria", "locale": "uk"},
    }
    try:
        with transaction(engine) as session:
            region = session.scalars(select(Region).where(Region.slug == SLUG)).one()
            carla = make_coordinator(session, CARLA, regions=[region])
            jonas, daria = (
                make_participant(
                    session,
                    region,
                    email=address,
                    **values,
                    languages={"de": "native", "en": "B2"},
                    slots=["tue_evening"],
                    verified_at=now,
                    approved_at=now,
                    waiting_since=now.date() - timedelta(days=40)
                    if values["role"] == "newcomer"
                    else None,
                )
                for address, values in people.items()
            )
            for person in (jonas, daria):
                person.consents = [
                    Consent(
                        purpose=purpose,
                        text_version=CONSENT_TEXT_VERSION,
                        language=person.locale,
                        given_at=now,
                    )
                    for purpose in ("matching", "contact_sharing")
                ]
                session.add(person)
            session.flush()
            tandem, broken = suggestions.manual_pair(session, region, jonas, daria, carla, now=now)
            assert broken == []
            suggestions.confirm(session, tandem, carla, now=now)
            settings = Settings(database_url=live_server.database_url, base_url=live_server.url)
            proposals.propose(session, tandem, settings=settings, now=now)
            public_id = tandem.public_id
    finally:
        engine.dispose()
    send_mail(live_server)
    return public_id


def four_weeks_pass(live_server: LiveServer, public_id: str) -> None:
    """Move every date of the tandem four weeks back, as if it had started then.

    The anonymous ``started`` event keeps today's date, so the report of the month
    containing today counts the tandem as formed.
    """
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            tandem = session.scalars(select(Tandem).where(Tandem.public_id == public_id)).one()
            assert tandem.status == "active"
            for column in (
                "created_at",
                "decided_at",
                "proposed_at",
                "answer_due_at",
                "local_answered_at",
                "newcomer_answered_at",
                "started_at",
                "fit_check_due_at",
                "next_checkin_at",
            ):
                value = getattr(tandem, column)
                assert value is not None, column
                setattr(tandem, column, value - FOUR_WEEKS)
            session.add(tandem)
    finally:
        engine.dispose()


def browser_page(new_context, **options) -> tuple[BrowserContext, Page]:  # type: ignore[no-untyped-def]
    context = new_context(viewport=VIEWPORT, **options)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    return context, page


def say_yes(page: Page, link: str, *, gettext, then: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(link)
    page.locator("form[action^='/answer/'] button[name=choice][value=accept]").click()
    expect(page.locator("article.proposal h1")).to_have_text(gettext("Thank you for your answer"))
    expect(page.locator("article.proposal")).to_contain_text(then)


def count_of(page: Page, section: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-tile={section}] .count")


def test_a_tandem_month_from_yes_to_the_report(new_context, live_server):
    from playwright.sync_api import expect

    public_id = propose(live_server)
    mail_dir = live_server.mail_dir

    # --- 1. both say yes from their e-mails (no login) ----------------------------------
    proposal_subject = "Tandem: we would like to introduce you to %(name)s"
    to_daria = wait_for_subject(mail_dir, DARIA, uk(proposal_subject) % {"name": "Jonas"})
    to_jonas = wait_for_subject(mail_dir, JONAS, de(proposal_subject) % {"name": "Daria"})
    _, daria = browser_page(new_context)
    say_yes(
        daria,
        link_in(to_daria, "/answer/"),
        gettext=uk,
        then=uk("You said yes. We will write to you as soon as %(partner)s has answered.")
        % {"partner": "Jonas"},
    )
    _, jonas_answers = browser_page(new_context)
    say_yes(
        jonas_answers,
        link_in(to_jonas, "/answer/"),
        gettext=de,
        then=de(
            "You and %(partner)s are now a tandem. "
            "We have sent you an e-mail about how to get in touch."
        )
        % {"partner": "Daria"},
    )
    wait_for_subject(mail_dir, JONAS, de("You and %(name)s are now a tandem") % {"name": "Daria"})

    # --- 2. four weeks later the cron job sends the fit check -----------------------------
    four_weeks_pass(live_server, public_id)
    assert tandem_command(live_server, "check-ins") == "check-ins sent 2"
    assert tandem_command(live_server, "check-ins") == "check-ins sent 0"  # not twice
    send_mail(live_server)
    checkin_subject = "How is it going with %(name)s?"
    daria_checkin = link_in(
        wait_for_subject(mail_dir, DARIA, uk(checkin_subject) % {"name": "Jonas"}), "/check-in/"
    )
    jonas_checkin = link_in(
        wait_for_subject(mail_dir, JONAS, de(checkin_subject) % {"name": "Daria"}), "/check-in/"
    )

    # Daria answers in a fresh browser, in Ukrainian: rarely met, the saddest face, a remark.
    _, daria = browser_page(new_context)
    daria.goto(daria_checkin)
    expect(daria.locator("html")).to_have_attribute("lang", "uk")
    expect(daria.locator("article.checkin h1")).to_have_text(uk("How is your tandem going?"))
    expect(daria.locator("article.checkin")).to_contain_text(
        uk("you and %(partner)s have been a tandem for four weeks now.") % {"partner": "Jonas"}
    )
    daria.locator("input[name=meetings][value=rarely]").check()
    daria.locator("input[name=mood][value='1']").check()
    daria.locator("textarea[name=note]").fill(DARIAS_REMARK)
    daria.locator("button.send").click()
    daria.wait_for_url("**/check-in/thanks*")
    expect(daria.locator("article.checkin h1")).to_have_text(uk("Thank you for your answers"))
    daria.goto(daria_checkin)  # the link is used up
    expect(daria.locator("form[action^='/check-in/']")).to_have_count(0)

    # Jonas's own check-in form says nothing of Daria's answers.
    _, jonas_form = browser_page(new_context)
    jonas_form.goto(jonas_checkin)
    expect(jonas_form.locator("article.checkin h1")).to_have_text(de("How is your tandem going?"))
    assert DARIAS_REMARK not in jonas_form.content()

    # --- 3. Jonas opens his profile from an e-mail and reports a problem -------------------
    _, jonas = browser_page(new_context)
    jonas.goto("/me/new-link?lang=de")
    jonas.locator("form[action='/me/new-link'] input[name=email]").fill(JONAS)
    jonas.locator("form[action='/me/new-link'] button[type=submit]").click()
    expect(jonas.locator("[role=status]")).to_have_text(
        de("If we know this address, we have just sent a new link to it.")
    )
    profile_mail = wait_for_subject(mail_dir, JONAS, de("Your link to your Tandem profile"))
    jonas.goto(link_in(profile_mail, "/me/open/"))
    jonas.locator("form[action^='/me/open/'] button[type=submit]").click()
    jonas.wait_for_url(re.compile(r".*/me$"))
    card = jonas.locator(f"section.tandem-card[data-tandem='{public_id}']")
    expect(card.locator("h2")).to_have_text(de("Your tandem with %(name)s") % {"name": "Daria"})
    assert DARIAS_REMARK not in jonas.content()  # answers are for coordinators only
    card.locator("summary", has_text=de("Something is wrong?")).click()
    card.locator("input[name=kind][value=unreachable]").check()
    card.locator("form[action$='/report'] textarea[name=note]").fill(JONAS_NOTE)
    card.locator("form[action$='/report'] button[type=submit]").click()
    jonas.wait_for_url(f"**/me/tandem/{public_id}?done=reported")
    expect(jonas.locator("p.notice")).to_have_text(
        de("Thank you for telling us. A coordinator will look at it and get in touch with you.")
    )
    assert DARIAS_REMARK not in jonas.content()

    # --- 4. Carla's dashboard: one worrying check-in, one problem report -------------------
    _, carla = browser_page(new_context, locale="de-DE")
    carla.goto("/login?lang=de")
    carla.locator("form[action='/login'] input[name=email]").fill(CARLA)
    carla.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    carla.locator("form[action='/login'] button[type=submit]").click()
    carla.wait_for_url(re.compile(r".*/coordinator/?$"))
    tandem_page = f"/coordinator/tandems/{public_id}"
    expect(count_of(carla, "problems")).to_have_text("1")
    expect(count_of(carla, "checkins")).to_have_text("1")
    # Only Daria answered: the fit check is done when Jonas has answered too.
    expect(count_of(carla, "fit_checks")).to_have_text("1")
    problem_link = carla.locator("section[data-section=problems] li a.action")
    expect(problem_link).to_have_attribute("href", f"{tandem_page}#problems")
    expect(carla.locator("section[data-section=problems] li")).to_contain_text("Jonas")
    expect(carla.locator("section[data-section=problems] li")).to_contain_text("Daria")
    expect(carla.locator("section[data-section=problems] li")).to_contain_text(
        de("My partner does not answer")
    )
    checkin_item = carla.locator("section[data-section=checkins] li")
    expect(checkin_item.locator("a.action")).to_have_attribute("href", f"{tandem_page}#checkins")
    expect(checkin_item).to_contain_text(de("Newcomer"))

    # The tandem page: Daria's answers (flagged) and Jonas's open report.
    problem_link.click()
    carla.wait_for_url(f"**{tandem_page}*")
    expect(carla.locator("dd[data-field=fit-check]")).to_contain_text(de("due now"))
    flagged = carla.locator("section#checkins tr.attention")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text(de("Newcomer"))
    expect(flagged).to_contain_text(de("Rarely or not yet"))
    expect(flagged).to_contain_text(de("%(mood)d of 5") % {"mood": 1})
    expect(flagged.locator(".note-body")).to_have_text(DARIAS_REMARK)
    report = carla.locator("section#problems li.open")
    expect(report).to_have_count(1)
    expect(report).to_contain_text(de("My partner does not answer"))
    expect(report.locator(".note-body")).to_have_text(JONAS_NOTE)

    report.locator("textarea[name=handled_note]").fill("Jonas angerufen, Treffen vereinbart.")
    report.locator("button[type=submit]").click()
    carla.wait_for_url(f"**{tandem_page}?done=handled*")
    expect(carla.locator("p.notice")).to_have_text(de("The report is marked as handled."))
    expect(carla.locator("section#problems li.open")).to_have_count(0)
    expect(carla.locator("section#problems li.handled")).to_have_count(1)

    flagged.locator("form[action$='/seen'] button").click()
    carla.wait_for_url(f"**{tandem_page}*")
    expect(carla.locator("section#checkins tr.attention")).to_have_count(0)
    expect(carla.locator("section#checkins tr", has_text=DARIAS_REMARK)).to_have_count(1)

    carla.goto("/coordinator")
    expect(count_of(carla, "problems")).to_have_text("0")  # both left the queues
    expect(count_of(carla, "checkins")).to_have_text("0")

    # --- Carla ends the tandem: partner unreachable ---------------------------------------
    carla.goto(tandem_page)
    end_form = carla.locator("form.end-form")
    end_form.locator("select[name=reason]").select_option("partner_unreachable")
    end_form.locator("button.danger").click()
    carla.wait_for_url(f"**{tandem_page}?done=ended*")
    expect(carla.locator("dd[data-field=status]")).to_have_text(de("Ended"))
    expect(carla.locator("dd[data-field=end-reason]")).to_have_text(de("Partner unreachable"))
    engine = live_server.engine()
    try:
        with transaction(engine) as session:
            tandem = session.scalars(select(Tandem).where(Tandem.public_id == public_id)).one()
            assert (tandem.status, tandem.end_reason, tandem.ended_by) == (
                "ended",
                "partner_unreachable",
                "coordinator",
            )
            handled = session.scalars(
                select(ProblemReport.handled_at).where(ProblemReport.tandem_id == tandem.id)
            ).all()
            assert len(handled) == 1 and handled[0] is not None
            attention = session.scalars(
                select(CheckIn.needs_attention).where(CheckIn.tandem_id == tandem.id)
            ).all()
            assert sorted(attention) == [False, False]  # both asked, the worry seen
    finally:
        engine.dispose()

    # --- 5. the month's report: one formed, one ended for that reason ---------------------
    carla.goto(f"/coordinator/reports?region={SLUG}&period=month")
    this_month = utcnow().date().replace(day=1).isoformat()
    expect(carla.locator("input[name=start]")).to_have_value(this_month)

    def figure(label: str):  # type: ignore[no-untyped-def]
        row = carla.locator("section.report-table tbody tr").filter(
            has=carla.locator("td:first-child", has_text=re.compile(f"^{re.escape(label)}$"))
        )
        expect(row).to_have_count(1)
        return row.locator("td").nth(1)

    expect(figure(de("Tandems formed"))).to_have_text("1")
    expect(figure(de("Tandems active at the end of the period"))).to_have_text("0")
    expect(figure(de("Median duration of ended tandems (days)"))).to_have_text("28")
    expect(figure(de("Partner unreachable"))).to_have_text("1")

    ended_section = carla.locator("section.report-table").filter(
        has=carla.locator("h2", has_text=de("Ended tandems by reason"))
    )
    csv_href = ended_section.locator("a", has_text=de("Download as CSV")).get_attribute("href")
    assert csv_href is not None
    response = carla.context.request.get(csv_href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body().decode("utf-8-sig")), delimiter=";"))
    assert rows == [[de("End reason"), de("Tandems")], [de("Partner unreachable"), "1"]]
