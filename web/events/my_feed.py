"""A person's private calendar feed (``/calendar/me/<token>.ics``): the dates they signed
up for, for their phone's calendar app.

The token is unguessable (an HMAC of a random nonce with the app's secret key, 256 bits)
and revocable: "new link" draws a new nonce, and the old address answers 404. Only the
token's hash is looked up, so the database alone gives no working address. The feed holds
the events only: no names, not even the person's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from icalendar import Event
from sqlalchemy import select
from sqlmodel import Session, col

from web.core import audit, calendar
from web.core.models import CalendarFeed, Participant, Signup
from web.core.sql import id_of
from web.events.signups import occurrence
from web.places.first_meeting import where

KEEP_PAST = timedelta(days=31)
TOKEN_LENGTH = 43  # base64 of 32 bytes, without padding


def token_of(feed: CalendarFeed, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), f"calendar:{feed.nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_feed(feed: CalendarFeed, secret_key: str, now: datetime) -> None:
    feed.nonce = secrets.token_hex(16)
    feed.token_hash = _hash(token_of(feed, secret_key))
    feed.created_at = now


def token_for(session: Session, person: Participant, secret_key: str, *, now: datetime) -> str:
    """The person's feed token (made on first use)."""
    feed = session.get(CalendarFeed, id_of(person))
    if feed is None:
        feed = CalendarFeed(participant_id=id_of(person), nonce="", token_hash="")
        _new_feed(feed, secret_key, now)
        session.add(feed)
        session.flush()
    return token_of(feed, secret_key)


def renew(session: Session, person: Participant, secret_key: str, *, now: datetime) -> None:
    """A new address; the old one stops working at once."""
    feed = session.get(CalendarFeed, id_of(person))
    if feed is None:
        token_for(session, person, secret_key, now=now)
    else:
        _new_feed(feed, secret_key, now)
        session.add(feed)
    audit.write(session, now=now, actor=person, action="calendar_feed.renewed",
                subject_type="participant", subject_id=person.id)  # fmt: skip


def person_for(session: Session, token: str) -> Participant | None:
    if len(token) != TOKEN_LENGTH:
        return None
    feed = session.scalars(
        select(CalendarFeed).where(col(CalendarFeed.token_hash) == _hash(token))
    ).first()
    return None if feed is None else session.get(Participant, feed.participant_id)


def feed(session: Session, person: Participant, *, now: datetime) -> bytes:
    """One VEVENT per date the person signed up for (a place, or tentatively the waiting
    list), from a month ago on; in the person's language where the event has it."""
    cal = calendar.new_calendar(name="Tandem")
    since = (now - KEEP_PAST).date()
    rows = session.scalars(
        select(Signup)
        .where(col(Signup.participant_id) == person.id, col(Signup.occurs_on) >= since)
        .order_by(col(Signup.occurs_on), col(Signup.id))
    ).all()
    events = []
    for row in rows:
        when = occurrence(row.occasion, row.occurs_on)
        if when is None:
            continue
        occasion, place = row.occasion, row.occasion.place
        event = Event()
        event.add("uid", f"{occasion.uid}-{row.occurs_on:%Y%m%d}@tandem")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("sequence", occasion.sequence)
        event.add("summary", occasion.title_in(person.locale))
        if occasion.description_in(person.locale):
            event.add("description", occasion.description_in(person.locale))
        event.add("location", f"{place.name}, {where(place)}")
        event.add("dtstart", when.starts)
        event.add("dtend", when.ends)
        event.add("status", "CONFIRMED" if row.seat is not None else "TENTATIVE")
        events.append(event)
    first = min((row.occurs_on for row in rows), default=now.date())
    calendar.add_berlin_timezone(cal, first, now.date() + timedelta(days=800))
    for event in events:
        cal.add_component(event)
    return calendar.to_ics(cal)
