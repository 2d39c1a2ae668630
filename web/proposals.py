"""Introductions with consent on both sides.

A tandem a coordinator confirmed is a *proposal*: each partner gets an e-mail
in their own language with a redacted version of the reasons and an answer
link (single use, 7 days). Only when both accept does the tandem become active
and are contact details exchanged (as far as each one consented); a decline
forbids the pair and puts the newcomer back in the queue with their waiting
time kept; no answer in time expires the proposal (``follow_up``, run hourly
by ``tandem follow-up``).

Every function takes ``now`` and the caller's session and never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from web import mail, tokens
from web.models import AccessToken, Participant, Tandem
from web.reasons import describe
from web.settings import Settings

ANSWER_DAYS = 7
REMIND_BEFORE = timedelta(days=2)

try:
    PROGRAMME_TIMEZONE: ZoneInfo | None = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # pragma: no cover (no tz database installed)
    PROGRAMME_TIMEZONE = None


def due_date(tandem: Tandem, *, locale: str) -> str:
    """The last day to answer, as a date in the reader's language."""
    due = tandem.answer_due_at
    if due is None:
        return ""
    if PROGRAMME_TIMEZONE is not None:
        due = due.astimezone(PROGRAMME_TIMEZONE)
    return format_date(due.date(), format="long", locale=locale)


def partners(tandem: Tandem) -> list[tuple[Participant, Participant]]:
    """(person, their partner) for both sides; a side erased meanwhile is left out."""
    local, newcomer = tandem.local, tandem.newcomer
    if local is None or newcomer is None:
        return []
    return [(local, newcomer), (newcomer, local)]


def redacted_reasons(tandem: Tandem, *, locale: str) -> list[str]:
    """The reasons a partner may read: no waiting time, locks, broken rules or free text."""
    local, newcomer = tandem.local, tandem.newcomer
    return describe(
        list(tandem.reasons or []),
        locale=locale,
        local_name=local.first_name if local else "",
        newcomer_name=newcomer.first_name if newcomer else "",
        redacted=True,
    )


def _issue_answer_link(
    session, tandem: Tandem, person: Participant, *, settings: Settings, now: datetime
) -> str:
    lifetime = (tandem.answer_due_at or now + timedelta(days=ANSWER_DAYS)) - now
    raw = tokens.issue(session, person, "answer", now=now, lifetime=lifetime)
    row = session.query(AccessToken).filter_by(token_hash=tokens.hash_token(raw)).one()
    row.tandem_id = tandem.id
    session.flush()
    return f"{settings.base_url}/answer/{raw}"


def _proposal_context(
    tandem: Tandem, person: Participant, partner: Participant, *, link: str
) -> dict[str, object]:
    return {
        "first_name": person.first_name,
        "partner_name": partner.first_name,
        "partner_town": partner.place.name if partner.place else "",
        "reasons": redacted_reasons(tandem, locale=person.locale),
        "due_date": due_date(tandem, locale=person.locale),
        "link": link,
    }


def invite(session, tandem: Tandem, *, settings: Settings, now: datetime) -> None:
    """Make a just-confirmed tandem a proposal: answer links and one e-mail per partner."""
    tandem.proposed_at = now
    tandem.answer_due_at = now + timedelta(days=ANSWER_DAYS)
    tandem.reminded_at = None
    session.add(tandem)
    session.flush()
    for person, partner in partners(tandem):
        link = _issue_answer_link(session, tandem, person, settings=settings, now=now)
        mail.enqueue(
            session,
            to_address=person.email,
            locale=person.locale,
            template="proposal",
            context=_proposal_context(tandem, person, partner, link=link),
            participant_id=person.id,
            now=now,
        )
