"""What participants do with their own data: sign up, confirm, edit, pause, leave,
download and erase. Functions take a session and never commit."""

from __future__ import annotations

import json
import re
import time
import weakref
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from web.core import audit, erasure_ledger, events, mail, phones, place_names
from web.core.auth import PARTICIPANT_KEY
from web.core.db import INSERT_ON_CONFLICT
from web.core.folding import search_text
from web.core.forms import ParticipantForm
from web.core.models import (
    AccessToken,
    AuditLog,
    CalendarFeed,
    CheckIn,
    Consent,
    Coordinator,
    Note,
    Occasion,
    OutboxMessage,
    Participant,
    ParticipantLanguage,
    Place,
    ProblemReport,
    Signup,
    StoreEntry,
    Tandem,
    new_public_id,
)
from web.core.sql import table
from web.core.store_config import STORE_NAMES
from web.core.vocabulary import CONSENT_PURPOSES, OPEN_TANDEM_STATUSES

# Bump when the privacy notice or the consent texts change; stored with each consent.
CONSENT_TEXT_VERSION = "2026-11-26"


class ServedPlace(NamedTuple):
    id: int
    region_id: int


_SERVED_PLACE = (
    select(col(Place.id), col(Place.region_id))
    .where(col(Place.region_id).is_not(None), col(Place.name) == bindparam("name"))
    .order_by(col(Place.population).desc())
    .limit(1)
)
_SERVED_PLACES = (
    select(col(Place.name), col(Place.id), col(Place.region_id))
    .where(col(Place.region_id).is_not(None))
    .order_by(col(Place.name), col(Place.population).desc())
)

# The served places by name, kept for a minute per connection pool (one per app and
# database): every sign-up form lists them and every sign-up checks its town against
# them, and they only change when a region is added or dropped. A name the list does
# not know yet is looked up (a region added a moment ago); a region dropped within the
# minute can still take sign-ups until the list is renewed.
SERVED_PLACES_SECONDS = 60.0
_served_places: weakref.WeakKeyDictionary[Any, tuple[float, dict[str, ServedPlace]]] = (
    weakref.WeakKeyDictionary()
)


def _served_places_by_name(session: Session) -> dict[str, ServedPlace]:
    pool = session.get_bind().engine.pool
    taken_at, places = _served_places.get(pool, (float("-inf"), {}))
    if time.monotonic() - taken_at > SERVED_PLACES_SECONDS:
        places = {}
        for name, place_id, region_id in session.execute(_SERVED_PLACES):
            places.setdefault(name, ServedPlace(place_id, region_id))  # the largest first
        _served_places[pool] = (time.monotonic(), places)
    return places


def served_place(session: Session, name: str) -> ServedPlace | None:
    """The place called ``name`` in one of the regions Tandem serves (largest if several),
    also when ``name`` is how the person's own language or script writes it ("كاسل",
    "Кассель": Kassel), as far as the gazetteer knows that name."""
    served = _served_places_by_name(session)
    for candidate in _names_of(name, served):
        known = served.get(candidate)
        if known is not None:
            return known
        found = session.execute(_SERVED_PLACE, {"name": candidate}).first()
        if found is not None:
            return ServedPlace(*found)
    return None


def _names_of(typed: str, served: dict[str, ServedPlace]) -> Iterator[str]:
    """The name as typed, a served name spelled alike, then the gazetteer's name for it;
    each looked up only if the one before found nothing (the gazetteer is slow to load)."""
    yield typed
    alike = place_names.spelled_alike(typed, served)
    if alike is not None and alike != typed:
        yield alike
    other = place_names.gazetteer_name(typed)
    if other is not None and other not in (typed, alike):
        yield other


def place_suggestions(session: Session) -> list[str]:
    """The names behind the sign-up form's town autocomplete, in order."""
    return list(_served_places_by_name(session))


def find_by_email(session: Session, email: str) -> Participant | None:
    return session.scalars(select(Participant).where(col(Participant.email) == email)).first()


def profile_columns(form: ParticipantForm, place: ServedPlace, now: datetime) -> dict[str, Any]:
    """The participant columns a profile form sets, at sign-up and on every edit."""
    return {
        "first_name": form.first_name,
        "last_name": form.last_name or None,
        "place_id": place.id,
        "learning": form.learning,
        "interests": form.interests,
        "help_topics": form.help_topics,
        "slots": form.slots,
        "online_ok": form.online_ok,
        "needs_step_free": form.needs_step_free,
        "gender": form.gender or None,
        "partner_genders": form.partner_genders,
        "birth_year": int(form.birth_year),
        "capacity": int(form.capacity) if form.role == "local" else 1,
        "about_me": form.about_me or None,
        "updated_at": now,
        # Issue 16: contact without e-mail, interpreter, guardian of a minor.
        "phone": form.phone_e164 or None,
        "contact_channel": form.contact_channel or None,
        "interpreter_language": form.interpreter_language or None,
        "guardian_name": form.guardian_name or None,
        "guardian_relation": form.guardian_relation or None,
        "guardian_phone": form.guardian_phone_e164 or None,
        "guardian_email": form.guardian_email or None,
    }


class SignUp(NamedTuple):
    """A participant as ``register`` stored them: what the confirmation e-mail needs."""

    id: int
    status: str
    email: str
    locale: str
    first_name: str


# A sign-up is written with Core statements, not the ORM: it is the one write a public
# crowd can cause at a high rate (issue 7: 300 per second), and building and flushing
# seven ORM objects cost more than the database took to store them.
_TABLE = table(Participant)
_NEW_PARTICIPANTS = {  # a known address inserts nothing, instead of failing the transaction
    name: insert_for(_TABLE)
    .on_conflict_do_nothing(index_elements=[_TABLE.c.email])
    .returning(_TABLE.c.id, _TABLE.c.email)
    for name, insert_for in INSERT_ON_CONFLICT.items()
}
_NEW_LANGUAGES = insert(table(ParticipantLanguage))
_NEW_CONSENTS = insert(table(Consent))


class NewPerson(NamedTuple):
    """One sign-up for ``register``: the form, its checked town, its language and time."""

    form: ParticipantForm
    place: ServedPlace
    locale: str
    now: datetime


def register(session: Session, people: Sequence[NewPerson]) -> list[SignUp | None]:
    """Store new, unverified sign-ups, each with one consent record per purpose; one
    statement per table for all of them (``web.signup.writer`` batches sign-ups).

    Returns, in order, what was stored, or None where the address is already known
    (also when two of ``people`` share an address: the first is stored): the unique
    address decides, so that sign-ups racing with one address store one person."""
    rows = [
        {
            **profile_columns(new.form, new.place, new.now),
            "public_id": new_public_id(),
            "role": new.form.role,
            "status": "unverified",
            "email": new.form.email,
            "registered_by_id": None,
            "locale": new.locale,
            "open_tandems": 0,
            "waiting_since": new.now.date() if new.form.role == "newcomer" else None,
            "retention_warned_at": None,
            "verified_at": None,
            "approved_at": None,
            "call_requested_at": None,
            "created_at": new.now,
            # Core, not the ORM: its listener that keeps the search text does not run here.
            "search_text": search_text(new.form.first_name, new.form.last_name, new.form.email),
        }
        for new in people
    ]
    inserted = session.execute(_NEW_PARTICIPANTS[session.get_bind().dialect.name], rows)
    ids: dict[str, int] = {email: person_id for person_id, email in inserted}
    stored: list[SignUp | None] = []
    languages, consents, audit_rows, event_rows = [], [], [], []
    for new in people:
        form, now = new.form, new.now
        person_id = ids.pop(form.email, None)  # pop: a second sign-up with the address is not new
        if person_id is None:
            stored.append(None)
            continue
        stored.append(SignUp(person_id, "unverified", form.email, new.locale, form.first_name))
        languages += [
            {"participant_id": person_id, "language": code, "level": level}
            for code, level in form.languages
        ]
        consents += [
            {
                "participant_id": person_id,
                "purpose": purpose,
                "text_version": CONSENT_TEXT_VERSION,
                "language": new.locale,
                "given_at": now,
                "withdrawn_at": None,
                "method": "online",
                "witnessed_by_id": None,
                "by_guardian": by_guardian,
            }
            for purpose in CONSENT_PURPOSES
            # A minor's guardian agreed as well (the form insists): a record of each.
            for by_guardian in ((False, True) if form.guardian_name else (False,))
        ]
        audit_rows.append(
            audit.entry(
                now=now,
                actor=audit.By("participant", person_id),
                action="participant.signed_up",
                subject_type="participant",
                subject_id=person_id,
            )
        )
        event_rows.append(
            events.row(
                "signed_up",
                at=now,
                region_id=new.place.region_id,
                role=form.role,
                languages=[code for code, _ in form.languages],
                interests=form.interests,
                help_topics=form.help_topics,
                age_group=events.age_group(int(form.birth_year), at=now),
                place_id=new.place.id,
            )
        )
    if languages:
        session.execute(_NEW_LANGUAGES, languages)
        session.execute(_NEW_CONSENTS, consents)
        audit.write_all(session, audit_rows)
        events.record_rows(session, event_rows)
    return stored


def touch(session: Session, person: Participant, *, now: datetime) -> None:
    """The person showed up (opened their profile): they count as active again."""
    person.updated_at = now
    person.retention_warned_at = None
    session.add(person)


def confirm_address(session: Session, person: Participant, *, now: datetime) -> None:
    if person.status == "unverified":
        person.status = "pending"
        person.verified_at = now
        session.add(person)
        audit.write(
            session,
            now=now,
            actor=person,
            action="participant.verified",
            subject_type="participant",
            subject_id=person.id,
        )
        events.record_person(session, "verified", person, at=now)


def update_profile(
    session: Session,
    person: Participant,
    form: ParticipantForm,
    *,
    place: ServedPlace,
    now: datetime,
    by: Coordinator | None = None,
) -> None:
    """Save the profile form; ``by``: the coordinator who did it on the person's request."""
    for column, value in profile_columns(form, place, now).items():
        setattr(person, column, value)
    person.languages = [
        ParticipantLanguage(language=c, level=lv)  # type: ignore[call-arg]  # participant_id: set through the relationship
        for c, lv in form.languages
    ]
    session.add(person)
    session.flush()
    audit.write(
        session,
        now=now,
        actor=by or person,
        action="participant.edited",
        subject_type="participant",
        subject_id=person.id,
    )


def pause(
    session: Session, person: Participant, *, now: datetime, by: Coordinator | None = None
) -> None:
    """Out of matching for now; ``by``: the coordinator who did it on the person's request."""
    if person.status in ("active", "pending"):
        person.status = "paused"
        person.updated_at = now
        _drop_suggestions(session, person)
        audit.write(
            session,
            now=now,
            actor=by or person,
            action="participant.paused",
            subject_type="participant",
            subject_id=person.id,
        )


def resume(
    session: Session, person: Participant, *, now: datetime, by: Coordinator | None = None
) -> None:
    if person.status == "paused":
        person.status = "active" if person.approved_at else "pending"
        person.updated_at = now
        audit.write(
            session,
            now=now,
            actor=by or person,
            action="participant.resumed",
            subject_type="participant",
            subject_id=person.id,
        )


def withdraw(session: Session, person: Participant, *, now: datetime) -> None:
    """Leave the programme: consents withdrawn, out of matching at once."""
    person.status = "withdrawn"
    person.updated_at = now
    for consent in person.consents:
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
    _drop_suggestions(session, person)
    audit.write(
        session,
        now=now,
        actor=person,
        action="participant.withdrew",
        subject_type="participant",
        subject_id=person.id,
    )


def _drop_suggestions(session: Session, person: Participant) -> None:
    session.execute(
        delete(Tandem).where(
            col(Tandem.status) == "suggested",
            (col(Tandem.local_id) == person.id) | (col(Tandem.newcomer_id) == person.id),
        )
    )


# What an anonymised audit row names instead of an erased person (keep the action, drop
# the person): pages show it as "a former participant".
ERASED_SUBJECT = "erased"
SESSION_NAMESPACE = STORE_NAMES["sessions"]
# Where a partner's own text named the erased person.
REDACTED = "[…]"


def erase(
    session: Session,
    person: Participant,
    *,
    now: datetime,
    ledger: Path | None,
    mail_dir: Path | None = None,
) -> None:
    """GDPR Art. 17: nothing that identifies the person or that they wrote is left. Their
    tandems stay as anonymous records (no link to anyone) so that statistics keep adding
    up; the partner and the coordinator see "a former participant" there.

    With a ``ledger``, the erasure is appended to it once the session commits, so that
    restoring an older backup erases the person again (``web.ops.backup``). With a
    ``mail_dir`` (the development file transport), the ``.eml`` files to or about the
    person are deleted once the session commits."""
    if ledger is not None:
        erasure_ledger.record_erasure_after_commit(session, ledger, person.public_id, now)
    traces = Traces.of(person)
    _drop_suggestions(session, person)
    tandems = session.scalars(
        select(Tandem).where(
            (col(Tandem.local_id) == person.id) | (col(Tandem.newcomer_id) == person.id)
        )
    ).all()
    partner_ids = {
        partner_id
        for tandem in tandems
        if (partner_id := tandem.newcomer_id if tandem.local_id == person.id else tandem.local_id)
    }
    for tandem in tandems:
        if tandem.status in OPEN_TANDEM_STATUSES:
            _end_for_erasure(session, tandem, person, now=now)
        _forget_on_tandem(session, tandem, person, traces)
    _forget_mail(session, person, traces, partner_ids)
    _forget_sessions(session, person)
    if mail_dir is not None:
        mail.forget_files_after_commit(session, mail_dir, traces.mail_files(partner_ids, session))
    events.record(
        session, "erased", at=now, region_id=events.region_of(session, person), role=person.role
    )
    person_id = person.id
    assert person_id is not None  # a stored row
    session.delete(person)  # cascades: languages, consents, vetting, tokens, notes on them
    session.flush()
    _anonymise_audit(session, person_id)
    audit.write(
        session,
        now=now,
        actor=audit.By("participant", None),
        action="participant.erased",
        subject_type="participant",
        subject_id=ERASED_SUBJECT,
    )


class Traces(NamedTuple):
    """What identifies a person in text written by others: their names and addresses
    (and their guardian's, issue 16)."""

    addresses: tuple[str, ...]  # the person's and their guardian's e-mail, where given
    words: tuple[str, ...]  # names and phone, matched as whole words, case-insensitively

    @classmethod
    def of(cls, person: Participant) -> Traces:
        addresses = tuple(a for a in (person.email, person.guardian_email) if a)
        words = (
            person.first_name,
            person.last_name,
            person.phone,
            phones.national(person.phone),
            person.guardian_name,
            person.guardian_phone,
            phones.national(person.guardian_phone),
            *addresses,
        )
        return cls(addresses, tuple(word.strip() for word in words if word and word.strip()))

    def pattern(self) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(word) for word in sorted(self.words, key=len)[::-1])
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def found_in(self, text: str | None) -> bool:
        if not text:
            return False
        return self.pattern().search(text) is not None

    def redact(self, text: str | None) -> str | None:
        return self.pattern().sub(REDACTED, text) if text else text

    def mail_files(self, partner_ids: set[int], session: Session) -> mail.FileFilter:
        partners = session.scalars(
            select(col(Participant.email)).where(col(Participant.id).in_(partner_ids))
        ).all()
        return mail.FileFilter(
            to=set(self.addresses),
            to_partners={address for address in partners if address},
            naming=self.pattern(),
        )


def _end_for_erasure(
    session: Session, tandem: Tandem, person: Participant, *, now: datetime
) -> None:
    partner_id = tandem.newcomer_id if tandem.local_id == person.id else tandem.local_id
    if partner_id is not None:  # the partner's place is free again
        session.execute(
            update(Participant)
            .where(col(Participant.id) == partner_id, col(Participant.open_tandems) > 0)
            .values(open_tandems=col(Participant.open_tandems) - 1)
        )
    tandem.status, tandem.end_reason, tandem.ended_at = "ended", "other", now
    tandem.ended_by = person.role
    session.add(tandem)
    days = (now - tandem.started_at).days if tandem.started_at else None
    events.record(
        session,
        "ended",
        at=now,
        region_id=tandem.region_id,
        tandem=tandem,
        reason="other",
        days=days,
    )


def _forget_on_tandem(
    session: Session, tandem: Tandem, person: Participant, traces: Traces
) -> None:
    """The tandem keeps its history, without the person's words: their check-in answers and
    problem reports lose their text, the partner's texts lose the person's names, and the
    coordinators' notes on the pair (about both, not to be told apart) go."""
    side = "local" if tandem.local_id == person.id else "newcomer"
    tandem.reject_note = None  # a coordinator's words about the pair
    session.add(tandem)
    _forget_texts(session, CheckIn, col(CheckIn.role), tandem=tandem, side=side, traces=traces)
    _forget_texts(
        session,
        ProblemReport,
        col(ProblemReport.reporter_role),
        tandem=tandem,
        side=side,
        traces=traces,
    )
    session.execute(delete(Note).where(col(Note.tandem_id) == tandem.id))
    # What a coordinator wrote on handling a report may name either partner (issue 15 §5).
    session.execute(
        update(ProblemReport)
        .where(col(ProblemReport.tandem_id) == tandem.id)
        .values(handled_note=None)
    )


_Text = TypeVar("_Text", CheckIn, ProblemReport)


def _forget_texts(
    session: Session,
    model: type[_Text],
    role_column: Mapped[str],
    *,
    tandem: Tandem,
    side: str,
    traces: Traces,
) -> None:
    """One side's texts on the tandem go; the other side's lose the person's names."""
    of_tandem = col(model.tandem_id) == tandem.id
    session.execute(update(model).where(of_tandem, role_column == side).values(note=None))
    others = session.scalars(select(model).where(of_tandem, role_column != side)).all()
    for row in others:
        if traces.found_in(row.note):
            row.note = traces.redact(row.note)
            session.add(row)


def _forget_mail(
    session: Session, person: Participant, traces: Traces, partner_ids: set[int]
) -> None:
    """Every e-mail to the person, and every e-mail to anyone that names them (their
    partners' proposals, "tandem started" with their address, check-ins): a message not
    sent yet is not sent any more."""
    condition = col(OutboxMessage.participant_id) == person.id
    for address in traces.addresses:
        condition = (
            condition
            | (col(OutboxMessage.to_address) == address)
            | col(OutboxMessage.body_text).contains(address, autoescape=True)
        )
    doomed = set(session.scalars(select(col(OutboxMessage.id)).where(condition)))
    to_partners = session.execute(
        select(
            col(OutboxMessage.id), col(OutboxMessage.subject), col(OutboxMessage.body_text)
        ).where(col(OutboxMessage.participant_id).in_(partner_ids))
    ).all()
    doomed |= {
        message_id
        for message_id, subject, body in to_partners
        if traces.found_in(subject) or traces.found_in(body)
    }
    if doomed:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(doomed)))


def _forget_sessions(session: Session, person: Participant) -> None:
    """The person's sessions on every device (in the database store; Redis keys expire
    by themselves and hold no more than the id)."""
    entries = session.execute(
        select(col(StoreEntry.key), col(StoreEntry.value)).where(
            col(StoreEntry.namespace) == SESSION_NAMESPACE
        )
    ).all()
    theirs = [key for key, value in entries if _session_participant(value) == person.id]
    if theirs:
        session.execute(
            delete(StoreEntry).where(
                col(StoreEntry.namespace) == SESSION_NAMESPACE,
                col(StoreEntry.key).in_(theirs),
            )
        )


def _session_participant(value: bytes) -> object:
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data.get(PARTICIPANT_KEY) if isinstance(data, dict) else None


def _anonymise_audit(session: Session, person_id: int) -> None:
    """Keep every action, drop who: the rows no longer carry the person's id (which a
    restored backup could tie to them again)."""
    session.execute(
        update(AuditLog)
        .where(col(AuditLog.actor_type) == "participant", col(AuditLog.actor_id) == person_id)
        .values(actor_id=None)
    )
    session.execute(
        update(AuditLog)
        .where(
            col(AuditLog.subject_type) == "participant", col(AuditLog.subject_id) == str(person_id)
        )
        .values(subject_id=ERASED_SUBJECT)
    )


def export(session: Session, person: Participant) -> dict[str, Any]:
    """GDPR Art. 15/20: everything stored about the person, nothing about anyone else."""
    place = session.get(Place, person.place_id)
    tandems = session.scalars(
        select(Tandem).where(
            (col(Tandem.local_id) == person.id) | (col(Tandem.newcomer_id) == person.id)
        )
    ).all()
    tokens = session.scalars(
        select(AccessToken).where(col(AccessToken.participant_id) == person.id)
    ).all()
    messages = session.scalars(
        select(OutboxMessage).where(col(OutboxMessage.participant_id) == person.id)
    ).all()
    event_signups = session.execute(
        select(Signup, Occasion)
        .join(Occasion, col(Occasion.id) == col(Signup.occasion_id))
        .where(col(Signup.participant_id) == person.id)
        .order_by(col(Signup.occurs_on), col(Signup.id))
    ).all()
    feed = session.get(CalendarFeed, person.id)
    return {
        "profile": {
            "id": person.public_id,
            "role": person.role,
            "status": person.status,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "contact_channel": person.contact_channel,
            "interpreter_language": person.interpreter_language,
            "guardian_name": person.guardian_name,
            "guardian_relation": person.guardian_relation,
            "guardian_phone": person.guardian_phone,
            "guardian_email": person.guardian_email,
            # Registered by a coordinator (by hand), not through the online form.
            "registered_by_id": person.registered_by_id,
            "locale": person.locale,
            "place": place.name if place else None,
            "online_ok": person.online_ok,
            "needs_step_free": person.needs_step_free,
            "whats_on_mail": person.whats_on_mail,
            "whats_on_month": person.whats_on_month,
            "gender": person.gender,
            "partner_genders": person.partner_genders,
            "birth_year": person.birth_year,
            "capacity": person.capacity,
            "open_tandems": person.open_tandems,
            "languages": {spoken.language: spoken.level for spoken in person.languages},
            "learning": person.learning,
            "interests": person.interests,
            "help_topics": person.help_topics,
            "slots": person.slots,
            "about_me": person.about_me,
            "waiting_since": _iso(person.waiting_since),
            "verified_at": _iso(person.verified_at),
            "approved_at": _iso(person.approved_at),
            "retention_warned_at": _iso(person.retention_warned_at),
            "call_requested_at": _iso(person.call_requested_at),
            # A declined sign-up: why, when and by which coordinator (issue 15 §4).
            "declined_at": _iso(person.declined_at),
            "declined_by_id": person.declined_by_id,
            "decline_reason": person.decline_reason,
            "decline_note": person.decline_note,
            # The names and address as the coordinators' search reads them.
            "search_text": person.search_text,
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
        },
        "consents": [
            {
                "purpose": c.purpose,
                "text_version": c.text_version,
                "language": c.language,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "method": c.method,
                "by_guardian": c.by_guardian,
            }
            for c in person.consents
        ],
        "vetting": (
            {
                "certificate_date": _iso(person.vetting.certificate_date),
                "seen_on": _iso(person.vetting.seen_on),
            }
            if person.vetting
            else None
        ),
        "tandems": [
            {
                "id": t.public_id,
                "role": "local" if t.local_id == person.id else "newcomer",
                "status": t.status,
                "created_at": _iso(t.created_at),
                "started_at": _iso(t.started_at),
                "ended_at": _iso(t.ended_at),
            }
            for t in tandems
        ],
        # Issue 17: the dates of events the person signed up for, and their calendar feed.
        "event_signups": [
            {
                "event": occasion.title_in("de"),
                "date": _iso(signup.occurs_on),
                "has_a_place": signup.seat is not None,
                "signed_up_at": _iso(signup.created_at),
                "signed_up_by_a_coordinator": signup.signed_up_by_id is not None,
                "moved_up_at": _iso(signup.moved_up_at),
                "reminded_at": _iso(signup.reminded_at),
                "attended_at": _iso(signup.attended_at),
            }
            for signup, occasion in event_signups
        ],
        "calendar_feed_since": _iso(feed.created_at) if feed is not None else None,
        "links_sent": [
            {
                "purpose": t.purpose,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "used_at": _iso(t.used_at),
            }
            for t in tokens
        ],
        "emails": [
            {
                "kind": m.kind,
                # A sent e-mail keeps neither (web.core.mail): only that it went, and when.
                "subject": m.subject or None,
                "to": m.to_address or None,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in messages
        ],
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
