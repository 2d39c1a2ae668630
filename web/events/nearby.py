"""Events near a person, for their profile page: something to do, also while they wait.

Ranked by shared language first (an event where they can talk), then by distance from
their town (a video-call event counts as near), then by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from web.core.geo import distance_km
from web.core.models import Occasion, Participant
from web.events import recurrence

DAYS_AHEAD = 60
MAX_KM = 30.0
LIMIT = 5
DATES_SHOWN = 3
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
    dates: tuple[datetime, ...] = ()  # the next few dates (in Berlin), to sign up for one


def for_person(session: Session, person: Participant, *, now: datetime) -> list[Nearby]:
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
        dates = recurrence.occurrences(occasion, now, now + timedelta(days=DAYS_AHEAD))
        if not dates:
            continue
        place = occasion.place
        km = None
        if not place.is_virtual and place.lat is not None and place.lon is not None:
            km = float(distance_km(town.lat, town.lon, place.lat, place.lon))
            if km > MAX_KM:
                continue
        shared = tuple(code for code in occasion.languages if code in spoken)
        found.append(Nearby(occasion, dates[0], km, shared, tuple(dates[:DATES_SHOWN])))
    found.sort(key=lambda n: (not n.shared_languages, n.km or 0.0, n.starts, n.occasion.id))
    return found[:LIMIT]
