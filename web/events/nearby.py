"""Events near a person: on their profile page, in their waiting e-mails and in the monthly
"what's on" e-mail — something to do, also while they wait. One ranking for all three.

Ranked by shared language first (an event where they can talk), then by distance from
their town (a video-call event counts as near), then by date. A person who needs step-free
access is offered only events at step-free places (or online).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.dates import local_datetime
from web.core.geo import distance_km
from web.core.models import Occasion, Participant
from web.events import recurrence

DAYS_AHEAD = 60
MAX_KM = 30.0
LIMIT = 5
IN_A_MAIL = 3  # events suggested in a waiting e-mail
MAIL_DATES = 5  # dates of one event listed in an e-mail (a weekly one has more)
DATES_SHOWN = 3  # dates of one event offered to sign up for on /me
# Who may see an event of each audience.
AUDIENCE_ROLES = {
    "everyone": ("local", "newcomer"),
    "newcomers": ("newcomer",),
    "locals": ("local",),
    "tandems": ("local", "newcomer"),
}


def is_for(occasion: Occasion, person: Participant) -> bool:
    """The event's audience includes the person (an event for tandems: people in one)."""
    if person.role not in AUDIENCE_ROLES[occasion.audience]:
        return False
    return occasion.audience != "tandems" or person.open_tandems >= 1


@dataclass(frozen=True)
class Nearby:
    occasion: Occasion
    starts: datetime  # the next date, in Berlin
    km: float | None  # None: online
    shared_languages: tuple[str, ...]
    dates: tuple[datetime, ...] = ()  # every date in the window asked for, in Berlin

    @property
    def dates_to_sign_up(self) -> tuple[datetime, ...]:
        """The next few dates, each with its own sign-up on /me."""
        return self.dates[:DATES_SHOWN] or (self.starts,)


def for_person(
    session: Session,
    person: Participant,
    *,
    now: datetime,
    until: datetime | None = None,
    limit: int = LIMIT,
) -> list[Nearby]:
    """The best ``limit`` events with a date from ``now`` to ``until`` (by default the next
    ``DAYS_AHEAD`` days) that the person may come to."""
    until = until or now + timedelta(days=DAYS_AHEAD)
    town = person.place
    rows = session.scalars(
        select(Occasion).where(
            col(Occasion.region_id) == town.region_id,
            col(Occasion.cancelled_at).is_(None),
        )
    ).all()
    spoken = {language.language for language in person.languages}
    found = []
    for occasion in rows:
        if not is_for(occasion, person):
            continue
        place = occasion.place
        if person.needs_step_free and not (place.is_virtual or place.step_free):
            continue
        dates = recurrence.occurrences(occasion, now, until)
        if not dates:
            continue
        km = None
        if not place.is_virtual and place.lat is not None and place.lon is not None:
            km = float(distance_km(town.lat, town.lon, place.lat, place.lon))
            if km > MAX_KM:
                continue
        shared = tuple(code for code in occasion.languages if code in spoken)
        found.append(Nearby(occasion, dates[0], km, shared, tuple(dates)))
    found.sort(key=lambda n: (not n.shared_languages, n.km or 0.0, n.starts, n.occasion.id))
    return found[:limit]


def for_mail(items: list[Nearby], *, locale: str) -> list[dict[str, Any]]:
    """The events as an e-mail template shows them: plain text in the reader's language
    (an e-mail is rendered once, with no database behind it)."""
    return [
        {
            "title": item.occasion.title_in(locale),
            "when": local_datetime(item.starts, locale=locale, weekday=True),
            "more_dates": [
                local_datetime(day, locale=locale, weekday=True) for day in item.dates[1:MAIL_DATES]
            ],
            "and_more": len(item.dates) > MAIL_DATES,
            "place": item.occasion.place.name,
            "km": "" if item.km is None else f"{item.km:.0f}",
            "online": item.km is None and item.occasion.place.is_virtual,
            "step_free": item.occasion.place.step_free,
        }
        for item in items
    ]


def is_waiting(person: Participant) -> bool:
    """Signed up and approved or about to be, and in no tandem yet: waiting for a partner."""
    return person.status in ("pending", "active") and person.open_tandems == 0


def suggested_in_mail(
    session: Session, person: Participant, *, now: datetime, limit: int = IN_A_MAIL
) -> list[dict[str, Any]]:
    """Up to three events for a waiting e-mail (retention warning, "signed up again"); none
    for a person who is not waiting."""
    if not is_waiting(person):
        return []
    return for_mail(for_person(session, person, now=now, limit=limit), locale=person.locale)
