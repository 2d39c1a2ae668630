"""A coordinator's decisions about pairs: confirm, reject, pin, forbid, pair by hand.

Every function takes the request's ``session`` and never commits; every
decision is audited. Confirm is the one place where two coordinators can
race for the same newcomer or a local's last free place: it takes the
places with compare-and-set updates inside a savepoint, so the loser gets
``AlreadyTaken`` and nothing half-written.

Lock order: a transaction that confirms first locks every person it may touch,
in ascending id order (``lock_people``), and only then changes places and
tandem rows. The tandem rows a confirm changes all belong to a newcomer it has
locked, so two confirms never wait for each other's tandems, and waits for
people always go up the id order: no cycle, no deadlock, however many
suggestions a "confirm selected" request carries and in whatever order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col

import matching
from web.coordinator import search
from web.core import audit, engine_input
from web.core.forms import clean_text
from web.core.i18n import N_
from web.core.models import Coordinator, PairRule, Participant, Place, Region, Tandem, utcnow
from web.core.sql import id_of, rel, rowcount
from web.core.vocabulary import REJECT_REASONS

NOTE_MAX = 500
# Pairs with one of these are never suggested again (the run loader forbids them).
CLOSED_PAIR_STATUSES = ("rejected", "declined", "expired", "ended", "withdrawn")


class DecisionError(Exception):
    """A decision that cannot be made; ``message`` is an English message id to translate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDecision(DecisionError):
    """Bad input (an unknown reason, the wrong people): a 400."""


class AlreadyTaken(DecisionError):
    """Someone was faster: the suggestion was decided, or a place is no longer free (409)."""


class RuledOut(DecisionError):
    """A rule no coordinator may override for this pair (409): the child-protection rule,
    a coordinator's ban (``banned``: the page offers to lift it), or a partner's "no"."""

    def __init__(self, message: str, *, banned: bool = False) -> None:
        super().__init__(message)
        self.banned = banned


ALREADY_DECIDED = N_("This suggestion has already been decided by someone else.")
NEEDS_VETTED_LOCAL = N_(
    "A newcomer under 18 can only be paired with a local whose police certificate has been "
    "recorded. Please record the certificate on the local's page first."
)
NEEDS_GUARDIAN = N_(
    "A person under 18 can only be paired once a parent or guardian is recorded and has "
    "agreed. Please add the guardian on the person's page first."
)
BANNED_PAIR = N_(
    "A coordinator has ruled out this pair, so it cannot be confirmed. Allow the pair again "
    "first if that was a mistake."
)
DECLINED_PAIR = N_("One of the two has declined this pair before, so it cannot be confirmed.")
NO_LONGER_FREE = N_(
    "Already taken: one of the two is no longer free (another proposal was confirmed first, "
    "or they paused or left the programme)."
)


# --- confirm and reject --------------------------------------------------------------------------


def _take_place(session: Session, participant_id: int) -> bool:
    """Raise a person's ``open_tandems`` if they are active and have a free place."""
    result = session.execute(
        update(Participant)
        .where(
            col(Participant.id) == participant_id,
            col(Participant.status) == "active",
            col(Participant.open_tandems) < col(Participant.capacity),
        )
        .values(open_tandems=col(Participant.open_tandems) + 1)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def lock_people(session: Session, tandems: Iterable[Tandem]) -> None:
    """Lock everyone these suggestions pair, in ascending id order, until the transaction ends.

    Call it once, before the first ``confirm`` of a request and outside any savepoint (a
    savepoint rolled back on PostgreSQL would give its row locks up again). ``FOR NO KEY
    UPDATE`` is the lock the place updates take anyway; unlike ``FOR UPDATE`` it lets other
    transactions insert rows that point at these people (a check-in, an e-mail). SQLite
    renders no lock clause: its writers take the whole database at ``BEGIN IMMEDIATE``.
    """
    ids = sorted(
        {
            person_id
            for tandem in tandems
            for person_id in (tandem.local_id, tandem.newcomer_id)
            if person_id is not None
        }
    )
    if ids:
        session.execute(
            select(col(Participant.id))
            .where(col(Participant.id).in_(ids))
            .order_by(col(Participant.id))
            .with_for_update(key_share=True)  # FOR NO KEY UPDATE
        ).all()


def confirm(session: Session, tandem: Tandem, coordinator: Coordinator, *, now: datetime) -> None:
    """Turn a suggestion into a proposal (``proposed``), or raise ``AlreadyTaken``.

    Both people are locked first, in id order (a no-op when ``lock_people`` locked them
    already for a whole batch), so that concurrent confirms on PostgreSQL wait for each
    other instead of deadlocking. The partial unique index on open newcomer tandems is the
    last line of defence.
    """
    if tandem.status != "suggested":
        raise AlreadyTaken(ALREADY_DECIDED)
    if tandem.local_id is None or tandem.newcomer_id is None:
        raise InvalidDecision(N_("One of the two has left the programme."))
    lock_people(session, [tandem])
    # An old suggestion may predate a ban, a "no" or a withdrawn certificate.
    local, newcomer = (
        session.get(Participant, tandem.local_id),
        session.get(Participant, tandem.newcomer_id),
    )
    assert local is not None and newcomer is not None  # foreign keys
    refuse_ruled_out(session, local, newcomer, today=now.date())
    try:
        with session.begin_nested():
            if not _take_place(session, tandem.newcomer_id):
                raise AlreadyTaken(NO_LONGER_FREE)
            if not _take_place(session, tandem.local_id):
                raise AlreadyTaken(NO_LONGER_FREE)
            result = session.execute(
                update(Tandem)
                .where(col(Tandem.id) == tandem.id, col(Tandem.status) == "suggested")
                .values(status="proposed", decided_at=now, decided_by_id=coordinator.id)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                raise AlreadyTaken(ALREADY_DECIDED)
            # One proposal at a time: the newcomer's other suggestions go.
            session.execute(
                delete(Tandem)
                .where(
                    col(Tandem.newcomer_id) == tandem.newcomer_id,
                    col(Tandem.status) == "suggested",
                    col(Tandem.id) != tandem.id,
                )
                .execution_options(synchronize_session=False)
            )
            audit.write(
                session,
                now=now,
                actor=coordinator,
                action="tandem.confirm",
                subject_type="tandem",
                subject_id=tandem.id,
            )
            session.flush()
    except IntegrityError as exc:
        raise AlreadyTaken(NO_LONGER_FREE) from exc
    # The updates above bypassed the identity map: reload what they changed.
    people = (tandem.local_id, tandem.newcomer_id)
    session.expire(tandem)
    for person_id in people:
        person = session.identity_map.get(identity_key(Participant, person_id))
        if person is not None:
            session.expire(person)


def reject(
    session: Session,
    tandem: Tandem,
    coordinator: Coordinator,
    *,
    reason: str,
    note: str | None,
    now: datetime,
) -> None:
    """Say no to a suggestion. The pair is never suggested again; its components stay on the
    row, so that the decision can teach the weights."""
    if reason not in REJECT_REASONS:
        raise InvalidDecision(N_("Please choose a reason from the list."))
    cleaned = clean_text(note, max_length=NOTE_MAX, multiline=True) or None
    if tandem.status != "suggested":
        raise AlreadyTaken(ALREADY_DECIDED)
    result = session.execute(
        update(Tandem)
        .where(col(Tandem.id) == tandem.id, col(Tandem.status) == "suggested")
        .values(
            status="rejected",
            decided_at=now,
            decided_by_id=coordinator.id,
            reject_reason=reason,
            reject_note=cleaned,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise AlreadyTaken(ALREADY_DECIDED)
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="tandem.reject",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    session.flush()
    session.expire(tandem)


# --- rules no coordinator may override -----------------------------------------------------------

ADULT_AGE = 18


def is_minor(newcomer: Participant, *, today: date) -> bool:
    """Under 18 this year, counted like the engine does (by birth year: no birthdays kept)."""
    return newcomer.birth_year is not None and today.year - newcomer.birth_year < ADULT_AGE


def breaks_child_protection(local: Participant, newcomer: Participant, *, today: date) -> bool:
    """A newcomer under 18 with a local whose police certificate is not recorded."""
    return is_minor(newcomer, today=today) and local.vetting is None


def lacks_guardian(person: Participant, *, today: date) -> bool:
    """Under 18 with no parent or guardian recorded (issue 16): never matched."""
    return is_minor(person, today=today) and not person.guardian_name


def _banned(session: Session, local_id: int | None, newcomer_id: int | None) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    col(PairRule.local_id) == local_id,
                    col(PairRule.newcomer_id) == newcomer_id,
                    col(PairRule.kind) == "forbid",
                )
            )
        )
    )


def _declined(session: Session, local_id: int | None, newcomer_id: int | None) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    col(Tandem.local_id) == local_id,
                    col(Tandem.newcomer_id) == newcomer_id,
                    col(Tandem.status) == "declined",
                )
            )
        )
    )


def refuse_ruled_out(
    session: Session, local: Participant, newcomer: Participant, *, today: date
) -> None:
    """Raise ``RuledOut`` for a pair that no decision may bring together: a child with an
    unvetted local, a pair a coordinator banned, or one a partner declined. (The engine's
    other rules may be overridden by hand, with a warning.)"""
    if breaks_child_protection(local, newcomer, today=today):
        raise RuledOut(NEEDS_VETTED_LOCAL)
    if lacks_guardian(local, today=today) or lacks_guardian(newcomer, today=today):
        raise RuledOut(NEEDS_GUARDIAN)
    if _banned(session, local.id, newcomer.id):
        raise RuledOut(BANNED_PAIR, banned=True)
    if _declined(session, local.id, newcomer.id):
        raise RuledOut(DECLINED_PAIR)


# --- standing rules about one pair ---------------------------------------------------------------


def _check_pair(region: Region, local: Participant, newcomer: Participant) -> None:
    if local.role != "local" or newcomer.role != "newcomer":
        raise InvalidDecision(N_("Please choose a local and a newcomer."))
    for person in (local, newcomer):
        if person.place is None or person.place.region_id != region.id:
            raise InvalidDecision(N_("Both people must live in this region."))


def _rule_for(session: Session, local: Participant, newcomer: Participant) -> PairRule | None:
    return session.scalars(
        select(PairRule).where(
            col(PairRule.local_id) == local.id,
            col(PairRule.newcomer_id) == newcomer.id,
        )
    ).first()


def _set_rule(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
    kind: str,
) -> PairRule:
    _check_pair(region, local, newcomer)
    rule = _rule_for(session, local, newcomer)
    if rule is None:
        rule = PairRule(
            region_id=id_of(region),
            local_id=id_of(local),
            newcomer_id=id_of(newcomer),
            kind=kind,
            created_by_id=coordinator.id,
        )
        try:
            with session.begin_nested():
                session.add(rule)
                session.flush()
        except IntegrityError:
            # Another coordinator set a rule for this pair at the same moment: take it over.
            rule = _rule_for(session, local, newcomer)
            if rule is None:  # pragma: no cover (the conflicting row was deleted again)
                raise AlreadyTaken(ALREADY_DECIDED) from None
    rule.kind = kind  # pin replaces forbid and vice versa
    rule.created_by_id = coordinator.id
    session.add(rule)
    session.flush()
    return rule


def pin(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
) -> PairRule:
    """Keep this pair in every run (a pin). A newcomer has at most one pinned local,
    and a local no more pinned newcomers than free places. A pin never overrides the
    child-protection rule (the engine keeps pinned pairs whatever else they break)."""
    _check_pair(region, local, newcomer)
    if breaks_child_protection(local, newcomer, today=utcnow().date()):
        raise RuledOut(NEEDS_VETTED_LOCAL)
    others = select(PairRule).where(
        col(PairRule.kind) == "pin",
        or_(
            col(PairRule.local_id) == local.id,
            col(PairRule.newcomer_id) == newcomer.id,
        ),
        ~((col(PairRule.local_id) == local.id) & (col(PairRule.newcomer_id) == newcomer.id)),
    )
    other_rules = list(session.scalars(others))
    local_pins = [rule for rule in other_rules if rule.local_id == local.id]
    if len(local_pins) >= local.capacity - local.open_tandems:
        raise AlreadyTaken(N_("This local has no free place left for another pinned pair."))
    for rule in other_rules:
        if rule.newcomer_id == newcomer.id:  # the newcomer's earlier pin is replaced
            audit.write(
                session,
                now=utcnow(),
                actor=coordinator,
                action="pair.unpin",
                subject_type="pair_rule",
                subject_id=rule.id,
            )
            session.delete(rule)
    session.flush()
    rule = _set_rule(session, region, local, newcomer, coordinator, "pin")
    audit.write(
        session,
        now=utcnow(),
        actor=coordinator,
        action="pair.pin",
        subject_type="pair_rule",
        subject_id=rule.id,
    )
    return rule


def forbid(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
) -> PairRule:
    """Never suggest this pair again (until the rule is lifted); a suggestion of the pair
    on the page goes at once, so that nobody can confirm it afterwards."""
    rule = _set_rule(session, region, local, newcomer, coordinator, "forbid")
    session.execute(
        delete(Tandem)
        .where(
            col(Tandem.local_id) == local.id,
            col(Tandem.newcomer_id) == newcomer.id,
            col(Tandem.status) == "suggested",
        )
        .execution_options(synchronize_session="fetch")
    )
    audit.write(
        session,
        now=utcnow(),
        actor=coordinator,
        action="pair.forbid",
        subject_type="pair_rule",
        subject_id=rule.id,
    )
    return rule


def _lift(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
    kind: str,
    action: str,
) -> bool:
    _check_pair(region, local, newcomer)
    rule = _rule_for(session, local, newcomer)
    if rule is None or rule.kind != kind:
        return False
    audit.write(
        session,
        now=utcnow(),
        actor=coordinator,
        action=action,
        subject_type="pair_rule",
        subject_id=rule.id,
    )
    session.delete(rule)
    session.flush()
    return True


def unpin(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
) -> bool:
    return _lift(session, region, local, newcomer, coordinator, "pin", "pair.unpin")


def unforbid(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
) -> bool:
    return _lift(session, region, local, newcomer, coordinator, "forbid", "pair.unforbid")


# --- pairing by hand -----------------------------------------------------------------------------


@dataclass
class PairCheck:
    """What the engine says about one pair: its score, components, reasons and broken rules."""

    score: float
    components: dict[str, float]
    reasons: list[dict[str, Any]]
    broken: list[str] = field(default_factory=list)


def _pair_closed_before(session: Session, local: Participant, newcomer: Participant) -> bool:
    forbidden_rule = exists().where(
        col(PairRule.local_id) == local.id,
        col(PairRule.newcomer_id) == newcomer.id,
        col(PairRule.kind) == "forbid",
    )
    closed_tandem = exists().where(
        col(Tandem.local_id) == local.id,
        col(Tandem.newcomer_id) == newcomer.id,
        col(Tandem.status).in_(CLOSED_PAIR_STATUSES),
    )
    return bool(session.scalar(select(or_(forbidden_rule, closed_tandem))))


def check_pair(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    *,
    now: datetime,
) -> PairCheck:
    """Ask the engine about just this pair (pinned, so it is scored even when it breaks rules).

    Raises ``InvalidDecision`` for people who cannot be paired at all (wrong role or region,
    not active), ``RuledOut`` for a pair no coordinator may override (``refuse_ruled_out``)
    and ``AlreadyTaken`` when one of them has no free place.
    """
    _check_pair(region, local, newcomer)
    for person in (local, newcomer):
        if person.status != "active":
            raise InvalidDecision(N_("Only active participants can be paired."))
    refuse_ruled_out(session, local, newcomer, today=now.date())
    if newcomer.open_tandems >= newcomer.capacity:
        raise AlreadyTaken(N_("This newcomer already has a tandem or a proposal."))
    if local.open_tandems >= local.capacity:
        raise AlreadyTaken(N_("This local has no free place left."))
    pair = (local.public_id, newcomer.public_id)
    problem = engine_input.instance(
        today=now.date(),
        region=region,
        locals_=[(local, local.place)],
        newcomers=[(newcomer, newcomer.place)],
        pinned=[pair],
        forbidden=[pair] if _pair_closed_before(session, local, newcomer) else [],
    )
    (found,) = matching.solve(problem).pairs
    broken = next(
        (list(reason["items"]) for reason in found.reasons if reason["code"] == "overrides"), []
    )
    return PairCheck(
        score=float(found.score),
        components=dict(found.components),
        reasons=list(found.reasons),
        broken=broken,
    )


def manual_pair(
    session: Session,
    region: Region,
    local: Participant,
    newcomer: Participant,
    coordinator: Coordinator,
    *,
    now: datetime,
) -> tuple[Tandem, list[str]]:
    """Pair two people by hand: a ``suggested`` tandem (manual, pinned) with the engine's
    reasons, and the hard rules it breaks (the page asks before creating such a pair)."""
    checked = check_pair(session, region, local, newcomer, now=now)
    session.execute(  # a hand-made pair replaces the engine's suggestion of the same pair
        delete(Tandem)
        .where(
            col(Tandem.local_id) == local.id,
            col(Tandem.newcomer_id) == newcomer.id,
            col(Tandem.status) == "suggested",
        )
        .execution_options(synchronize_session="fetch")
    )
    tandem = Tandem(
        local_id=local.id,
        newcomer_id=newcomer.id,
        region_id=id_of(region),
        status="suggested",
        score=min(1.0, max(0.0, checked.score)),
        components=checked.components,
        reasons=checked.reasons,
        pinned=True,
        manual=True,
        created_at=now,
    )
    session.add(tandem)
    session.flush()
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="tandem.manual_pair",
        subject_type="tandem",
        subject_id=tandem.id,
    )
    return tandem, checked.broken


PAIRABLE_SHOWN = 20  # candidates listed for a typed name


def find_pairable(
    session: Session,
    region: Region,
    role: str,
    typed: str,
    *,
    chosen: str = "",
) -> list[Participant]:
    """The ``role``s of ``region`` who can be paired now (active, a free place) and match
    ``typed`` like the coordinator's search (name, e-mail, phone or town; accents and case
    ignored), by name, at most ``PAIRABLE_SHOWN`` + 1 (one more: "type more"); the
    ``chosen`` one (a public id) always first. Nothing typed, nothing chosen: nobody (a long
    list to scroll is what typing avoids)."""
    pairable = (
        select(Participant)
        .join(Place, col(Participant.place_id) == col(Place.id))
        .where(
            col(Place.region_id) == region.id,
            col(Participant.role) == role,
            col(Participant.status) == "active",
            col(Participant.open_tandems) < col(Participant.capacity),
        )
        .options(selectinload(rel(Participant.place)))
    )
    found: list[Participant] = []
    if chosen:
        found.extend(session.scalars(pairable.where(col(Participant.public_id) == chosen)))
    towns = [(place.id, place.name) for place in region.places if place.id is not None]
    matching = search.condition(typed, towns)
    if matching is not None:
        found.extend(
            person
            for person in session.scalars(
                pairable.where(matching, col(Participant.public_id) != chosen)
                .order_by(
                    col(Participant.first_name), col(Participant.last_name), col(Participant.id)
                )
                .limit(PAIRABLE_SHOWN + 1)  # one more: the page says "type more"
            )
        )
    return found
