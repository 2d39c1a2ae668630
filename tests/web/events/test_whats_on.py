"""The monthly "what's on" e-mail (issue 17 §3): next month's events near each participant,
in their language, never twice a month, switched off on /me or by the link in the mail.

Kassel in January 2027: a monthly Stammtisch (Persian spoken) at a step-free café and a
weekly Sprachcafé up some steps. Zahra (newcomer, Persian) gets both; Omar needs step-free
access and gets the Stammtisch only; Lena switched the e-mail off; Amal has no e-mail
address; Udo never confirmed his sign-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from tests.builders import (
    csrf_token,
    db,
    html,
    make_occasion_near,
    make_participant,
    make_region,
    open_profile,
    post_as_me,
)
from tests.builders import (
    tandem as run_cli,
)
from web.core.models import ContactTask, OutboxMessage, Participant
from web.events import whats_on

NOW = datetime(2026, 12, 26, 9, 30, tzinfo=UTC)
NEXT_MONTH = datetime(2027, 1, 26, 9, 30, tzinfo=UTC)


@dataclass
class World:
    zahra: int
    omar: int
    lena: int
    amal: int
    udo: int


def kassel_in_january(engine) -> World:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_occasion_near(session, kassel, "Stammtisch", step_free=True, languages=["fa", "de"],
                      starts=datetime(2027, 1, 7, 18, tzinfo=UTC), repeat="monthly")  # fmt: skip
        make_occasion_near(session, kassel, "Sprachcafé", km_north=2, languages=["de"],
                      starts=datetime(2026, 12, 1, 16, tzinfo=UTC), repeat="weekly",
                      weekdays=["tue"])  # fmt: skip
        make_occasion_near(
            session, kassel, "Silvester", starts=datetime(2026, 12, 31, 18, tzinfo=UTC)
        )
        persian = {"fa": "native", "de": "A2"}
        ids = World(
            zahra=make_participant(
                session,
                kassel,
                first_name="Zahra",
                locale="fa",
                email="zahra@example.org",
                languages=persian,
            ).id,  # fmt: skip
            omar=make_participant(
                session, kassel, first_name="Omar", email="omar@example.org", needs_step_free=True
            ).id,  # fmt: skip
            lena=make_participant(
                session,
                kassel,
                role="local",
                first_name="Lena",
                email="lena@example.org",
                whats_on_mail=False,
            ).id,  # fmt: skip
            amal=make_participant(session, kassel, first_name="Amal", email=None).id,
            udo=make_participant(session, kassel, first_name="Udo", status="unverified").id,
        )
        return ids


def mails(engine) -> dict[str, OutboxMessage]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "whats_on"))
        found = {}
        for message in rows:
            assert message.to_address not in found, "two what's-on e-mails to one address"
            found[message.to_address] = message
        return found


def send(engine, settings, now: datetime = NOW) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return whats_on.send_monthly(session, settings=settings, now=now)


def test_the_month_after_is_the_next_calendar_month_in_berlin() -> None:
    december = whats_on.month_after(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 1 Dec, Berlin
    assert december.key == "2027-01"
    assert december.begin == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert whats_on.month_after(datetime(2027, 3, 5, tzinfo=UTC)).end == datetime(
        2027, 4, 30, 22, 0, tzinfo=UTC
    )  # summer time


def test_each_participant_gets_next_months_events_near_them_in_their_language(
    engine, settings
) -> None:
    world = kassel_in_january(engine)
    assert send(engine, settings) == 2
    sent = mails(engine)
    assert set(sent) == {"zahra@example.org", "omar@example.org"}
    zahra = sent["zahra@example.org"]
    assert zahra.locale == "fa" and "ژانویه" in zahra.subject  # January, in Persian
    text = zahra.body_text
    assert "Stammtisch (fa)" in text and "Sprachcafé (fa)" in text
    assert "Silvester" not in text  # December
    assert text.index("Stammtisch") < text.index("Sprachcafé")  # Persian spoken there first
    assert text.count("2027") >= 5  # the month, and the Sprachcafé's four Tuesdays of January
    assert "/me/open/" in text and "/whats-on/" in text
    omar = sent["omar@example.org"].body_text
    assert "Stammtisch" in omar and "Sprachcafé" not in omar  # steps: not for Omar
    with db(engine) as session:
        assert session.scalar(select(func.count()).select_from(ContactTask)) == 0  # Amal: none
        assert session.get(Participant, world.amal).whats_on_month is None  # type: ignore[union-attr]


def test_never_twice_for_one_month(engine, settings) -> None:
    kassel_in_january(engine)
    assert send(engine, settings) == 2
    assert send(engine, settings, NOW.replace(day=27)) == 0
    assert send(engine, settings, NOW.replace(day=31)) == 0
    assert len(mails(engine)) == 2


def test_the_link_in_the_mail_switches_it_off_and_on_again(client, engine, settings) -> None:
    world = kassel_in_january(engine)
    send(engine, settings)
    path = re.search(r"/whats-on/\S+", mails(engine)["zahra@example.org"].body_text)
    assert path is not None
    link = path.group(0).split("?")[0]
    page = client.get(link)  # a mail scanner's visit changes nothing
    assert "tandem_session" not in page.headers.get("set-cookie", "")  # no login, no session
    assert html(page).select_one("[data-state]")["data-state"] == "on"
    response = client.post(link, data={"mail": "off", "_csrf_token": csrf_token(client, link)},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    after = html(client.get(response.headers["location"]))
    assert after.select_one("[data-state]")["data-state"] == "off"
    assert after.select_one("[role=status]") is not None
    with db(engine) as session:
        assert session.get(Participant, world.zahra).whats_on_mail is False  # type: ignore[union-attr]
    with time_machine.travel(NEXT_MONTH, tick=False):
        assert send(engine, settings, NEXT_MONTH) == 1  # Omar only
    assert client.post(link, data={"mail": "on", "_csrf_token": csrf_token(client, link)},
                       follow_redirects=False).status_code == 303  # fmt: skip
    with db(engine) as session:
        assert session.get(Participant, world.zahra).whats_on_mail is True  # type: ignore[union-attr]


def test_a_broken_link_is_a_400_and_a_bad_choice_changes_nothing(client, engine, settings) -> None:
    kassel_in_january(engine)
    assert client.get("/whats-on/not-a-token").status_code == 400
    send(engine, settings)
    link = re.search(r"/whats-on/[^\s?]+", mails(engine)["omar@example.org"].body_text)
    assert link is not None
    bad = client.post(link.group(0), data={"mail": "maybe",
                      "_csrf_token": csrf_token(client, link.group(0))})  # fmt: skip
    assert bad.status_code == 400
    assert html(bad).select_one("[data-state]")["data-state"] == "on"


def test_the_profile_page_switches_it_off_and_on(client, engine, settings) -> None:
    world = kassel_in_january(engine)
    open_profile(client, engine, world.lena)
    page = html(client.get("/me?lang=de"))
    assert page.select_one("#whats-on + p")["data-state"] == "off"
    assert post_as_me(client, "/me/whats-on", mail="on").status_code == 303
    assert html(client.get("/me")).select_one("#whats-on + p")["data-state"] == "on"
    with db(engine) as session:
        lena = session.get(Participant, world.lena)
        assert lena is not None and lena.whats_on_mail is True
    assert post_as_me(client, "/me/whats-on", mail="off").status_code == 303
    with db(engine) as session:
        assert session.get(Participant, world.lena).whats_on_mail is False  # type: ignore[union-attr]


def test_the_command_writes_the_mails_once_and_prints_counts(engine, database_url) -> None:
    kassel_in_january(engine)  # open-ended series: there is a next month on any real clock
    result = run_cli("whats-on", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "what's-on e-mails written 2"
    again = run_cli("whats-on", database_url=database_url)
    assert again.stdout.strip() == "what's-on e-mails written 0"
    assert len(mails(engine)) == 2
