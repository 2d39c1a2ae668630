"""The monthly "what's on" e-mail (issue 17 §3): the coming month's events near each
participant, in their language, with a one-click link to switch it off.

Programme information to people who signed up for the programme, so it is on unless they
switch it off (on their profile page or by the link in every such e-mail; both also switch
it on again). Only people with a confirmed sign-up get it (pending, active, paused), and
only when there is something near them. A person without an e-mail address gets nothing:
a coordinator is not asked to phone a calendar through (no contact task).

Sent from the 25th to the end of each month about the next month (a daily job: a worker
that was down on the 25th catches up the next day). Never twice for one month: the month
is set on the person by a compare-and-set in the transaction that writes the e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_date
from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from web.core import audit, links, mail
from web.core.calendar import BERLIN, berlin
from web.core.models import Participant
from web.core.settings import Settings
from web.core.sql import rowcount
from web.events import nearby

RECIPIENT_STATUSES = ("pending", "active", "paused")
IN_THE_MAIL = 8  # events listed at most
OFF_LINK_DAYS = 90  # the switch-off link works this long (a later e-mail brings a new one)
TEMPLATE = "whats_on"


@dataclass(frozen=True)
class Month:
    key: str  # "2027-01"
    begin: datetime  # midnight of its first day in Berlin
    end: datetime  # midnight of the next month's first day in Berlin


def month_after(now: datetime) -> Month:
    """The month after the one ``now`` is in (in Berlin)."""
    local = berlin(now)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    begin = datetime(year, month, 1, tzinfo=BERLIN)  # zoneinfo: that day's own offset
    end = datetime(after[0], after[1], 1, tzinfo=BERLIN)
    return Month(key=f"{year:04d}-{month:02d}", begin=begin, end=end)


def _recipients(session: Session, month: Month) -> list[Participant]:
    return list(
        session.scalars(
            select(Participant)
            .where(
                col(Participant.whats_on_mail),
                col(Participant.email).is_not(None),
                col(Participant.status).in_(RECIPIENT_STATUSES),
                or_(
                    col(Participant.whats_on_month).is_(None),
                    col(Participant.whats_on_month) != month.key,
                ),
            )
            .order_by(col(Participant.id))
        )
    )


def _claim(session: Session, person: Participant, month: Month) -> bool:
    """Mark the month as sent to the person; False if another run already did."""
    result = session.execute(
        update(Participant)
        .where(
            col(Participant.id) == person.id,
            col(Participant.whats_on_mail),
            or_(
                col(Participant.whats_on_month).is_(None),
                col(Participant.whats_on_month) != month.key,
            ),
        )
        .values(whats_on_month=month.key)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def send_monthly(session: Session, *, settings: Settings, now: datetime) -> int:
    """Write the coming month's e-mail to everyone who gets it and has events near them;
    returns how many were written."""
    month = month_after(now)
    sent = 0
    for person in _recipients(session, month):
        found = nearby.for_person(
            session, person, now=max(now, month.begin), until=month.end, limit=IN_THE_MAIL
        )
        if not found or person.email is None or not _claim(session, person, month):
            continue
        profile = links.issue(session, person, "profile", now=now,
                              lifetime=timedelta(days=settings.profile_link_days))  # fmt: skip
        off = links.issue(session, person, "whats_on", now=now,
                          lifetime=timedelta(days=OFF_LINK_DAYS))  # fmt: skip
        mail.enqueue(
            session,
            to_address=person.email,
            locale=person.locale,
            template=TEMPLATE,
            context={
                "first_name": person.first_name,
                "month": format_date(month.begin.date(), "LLLL yyyy", locale=person.locale),
                "events": nearby.for_mail(found, locale=person.locale),
                "url": links.url(settings, "profile", profile, locale=person.locale),
                "off_url": links.url(settings, "whats_on", off, locale=person.locale),
            },
            participant_id=person.id,
            now=now,
        )
        sent += 1
    return sent


def switch(session: Session, person: Participant, *, on: bool, now: datetime) -> None:
    """The person's own choice (profile page or the e-mail's link); not an activity that
    keeps their data longer (``updated_at`` stays)."""
    if person.whats_on_mail == on:
        return
    person.whats_on_mail = on
    session.add(person)
    audit.write(session, now=now, actor=person, subject_type="participant", subject_id=person.id,
                action="participant.whats_on_on" if on else "participant.whats_on_off")  # fmt: skip


def person_of_link(session: Session, raw: str, *, now: datetime) -> Participant:
    """The person a switch-off link belongs to (``links.LinkError`` if none); the link is
    not used up: it switches the e-mail off and on again as often as they like."""
    token = links.open_token(session, raw, "whats_on")
    links.check(token, now=now)
    person = session.get(Participant, token.participant_id)
    if person is None:
        raise links.LinkInvalid
    return person
