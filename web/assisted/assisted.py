"""A coordinator registers a person met in a consultation hour, by phone or on a paper
sheet (issue 16): the public form's fields and rules, e-mail optional, consent recorded
with how it was given and who witnessed it, duplicates shown before saving.

Functions take the caller's session and ``now`` and never commit."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from web.core import audit, events, links
from web.core.forms import ParticipantForm
from web.core.models import (
    AccessToken,
    Consent,
    Coordinator,
    Participant,
    ParticipantLanguage,
    Place,
)
from web.core.participants import CONSENT_TEXT_VERSION, ServedPlace, profile_columns
from web.core.settings import Settings
from web.core.sql import id_of
from web.core.vocabulary import CONSENT_PURPOSES

# Ways a coordinator can witness consent (the online form records "online" itself).
WITNESSED_METHODS = ("in_person", "phone", "paper")


def _folded(text: str) -> str:
    """A name compared without case and accents ("Amal" ~ "amal", "Müller" ~ "Muller")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def duplicates(session: Session, form: ParticipantForm, *, region_id: int) -> list[Participant]:
    """People in the region who may be the same person: the same phone or e-mail, or a
    similar first name and the same year of birth (give or take one)."""
    same_contact = []
    if form.phone_e164:
        same_contact.append(col(Participant.phone) == form.phone_e164)
    if form.email:
        same_contact.append(col(Participant.email) == form.email)
    candidates = select(Participant).join(Place, col(Place.id) == col(Participant.place_id))
    conditions = list(same_contact)
    if form.birth_year.isdecimal():
        year = int(form.birth_year)
        conditions.append(
            col(Participant.birth_year).between(year - 1, year + 1)
            & (func.lower(col(Participant.first_name)) == form.first_name.lower())
        )
    found = session.scalars(
        candidates.where(or_(*conditions), col(Place.region_id) == region_id).limit(20)
    ).all()
    # Accent- and case-insensitive name check on top (databases differ in lower()).
    wanted = _folded(form.first_name)
    extra = []
    if form.birth_year.isdecimal():
        year = int(form.birth_year)
        nearby = session.scalars(
            candidates.where(
                col(Place.region_id) == region_id,
                col(Participant.birth_year).between(year - 1, year + 1),
            ).limit(500)
        ).all()
        extra = [p for p in nearby if _folded(p.first_name) == wanted]
    seen: dict[int, Participant] = {}
    for person in [*found, *extra]:
        seen.setdefault(id_of(person), person)
    return list(seen.values())


def register(
    session: Session,
    form: ParticipantForm,
    *,
    place: ServedPlace,
    coordinator: Coordinator,
    consent_method: str,
    locale: str,
    now: datetime,
) -> Participant:
    """Store the person as active (a coordinator met them: no address to confirm, no
    review needed), with one consent per purpose witnessed by ``coordinator`` — and the
    guardian's for a minor."""
    if consent_method not in WITNESSED_METHODS:
        raise ValueError(f"unknown consent method {consent_method!r}")
    person = Participant(
        **profile_columns(form, place, now),
        role=form.role,
        status="active",
        email=form.email or None,
        locale=locale,
        waiting_since=now.date() if form.role == "newcomer" else None,
        verified_at=now,
        approved_at=now,
        registered_by_id=coordinator.id,
        created_at=now,
    )
    person.languages = [
        ParticipantLanguage(language=c, level=lv)  # type: ignore[call-arg]  # participant_id: set through the relationship
        for c, lv in form.languages
    ]
    person.consents = [
        Consent(  # type: ignore[call-arg]  # participant_id: set through the relationship
            purpose=purpose,
            text_version=CONSENT_TEXT_VERSION,
            language=locale,
            given_at=now,
            method=consent_method,
            witnessed_by_id=coordinator.id,
            by_guardian=by_guardian,
        )
        for purpose in CONSENT_PURPOSES
        for by_guardian in ((False, True) if form.guardian_name else (False,))
    ]
    session.add(person)
    session.flush()
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action=f"participant.registered.{consent_method}",
        subject_type="participant",
        subject_id=person.id,
    )
    for kind in ("signed_up", "verified"):
        events.record(
            session,
            kind,
            at=now,
            region_id=place.region_id,
            role=form.role,
            languages=[code for code, _ in form.languages],
            interests=form.interests,
            help_topics=form.help_topics,
            age_group=events.age_group(person.birth_year, at=now),
            place_id=person.place_id,
        )
    return person


# --- the e-mail address, corrected on request ---------------------------------------------------

# The links that open a person's profile or confirm their address: sent to an address, so
# they stop working when the address changes (the old mailbox may be someone else's now).
ADDRESS_LINKS = ("verify", "profile")


class AddressTaken(ValueError):
    """Another person is registered with this e-mail address."""


def change_email(
    session: Session,
    person: Participant,
    email: str | None,
    *,
    coordinator: Coordinator,
    how: str,
    settings: Settings,
    now: datetime,
) -> bool:
    """Give ``person`` the address ``email`` (None: no address), as they asked a coordinator
    (``how``); False if it is the address they have. A new address needs no confirmation
    (the person gave it to a coordinator) but gets a mail with their profile link, with which
    they can leave or erase their data if it is not theirs; without an address, what would
    be mailed to them becomes a task for their coordinator (``reach.tell``). The links sent
    to the old address stop working. Raises ``AddressTaken`` if another person has it."""
    if email == person.email:
        return False
    if email is not None:
        other = session.scalars(
            select(Participant).where(
                col(Participant.email) == email, col(Participant.id) != person.id
            )
        ).first()
        if other is not None:
            raise AddressTaken(email)
    try:
        with session.begin_nested():  # two coordinators typing the same address: one wins
            person.email = email
            session.add(person)
            session.flush()
    except IntegrityError:
        session.refresh(person)
        raise AddressTaken(email) from None
    session.execute(
        update(AccessToken)
        .where(
            col(AccessToken.participant_id) == person.id,
            col(AccessToken.purpose).in_(ADDRESS_LINKS),
            col(AccessToken.used_at).is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action=f"participant.{'email_changed' if email else 'email_removed'}.on_request.{how}",
        subject_type="participant",
        subject_id=person.id,
    )
    if email is not None:
        welcome(session, person, settings=settings, now=now)
    return True


def welcome(session: Session, person: Participant, *, settings: Settings, now: datetime) -> None:
    """The mail to an address a coordinator recorded for the person: their profile link, and
    how to say no (leave, erase) if the address is not theirs or they do not want to take
    part; an address not confirmed yet gets the link to confirm it instead."""
    links.send_profile_link(
        session,
        person,
        settings,
        now=now,
        template=None if person.status == "unverified" else "address_recorded",
    )


def send_link(
    session: Session, person: Participant, *, settings: Settings, now: datetime
) -> str | None:
    """Their profile link again (the link to confirm their address while it is not
    confirmed); None, and nothing sent, when they have no address."""
    return links.send_profile_link(session, person, settings, now=now)
