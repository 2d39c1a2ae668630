"""Check-ins: three short questions to each partner at the fit check and every 60 days.

``send_due_checkins`` (``tandem check-ins``, daily from cron) finds the active
tandems whose ``next_checkin_at`` has come, gives each partner a ``CheckIn``
row and an e-mail in their own language with a link (14 days, single use),
and moves ``next_checkin_at`` 60 days on. The move is a compare-and-set, so
two overlapping runs send each check-in once. Paused and ended tandems get
none.

The link opens a form without logging in (``open_link`` only reads: mail
scanners open links too); ``answer`` stores the answers on the person's open
check-in, flags worrying ones (``needs_attention``) and uses the link up.
Answers are for coordinators only (the tandem page, ``web.tandems.overview``); no page
of a participant shows them.

Every function takes the caller's session and ``now`` and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlmodel import Session, col

from web.core import audit, links, reach, signature
from web.core.dates import local_date
from web.core.forms import clean_text, single
from web.core.i18n import N_
from web.core.models import CheckIn, Coordinator, Participant, Tandem
from web.core.settings import Settings
from web.core.sql import id_of, rowcount
from web.core.vocabulary import MEETING_FREQUENCIES
from web.tandems import lifecycle

FIT_CHECK_AFTER = lifecycle.FIT_CHECK_AFTER  # 28 days after the start
CHECKIN_EVERY = lifecycle.CHECKIN_EVERY  # 60 days
LINK_LIFETIME = timedelta(days=14)
NOTE_MAX = 1000
WORRYING_MOOD = 2  # this face or a sadder one needs a coordinator's attention
WORRYING_MEETINGS = "rarely"

# The 5-face scale: the face is decoration, the words are what a screen reader says.
MOODS = {
    # Translators: answers to "How is your tandem going?", from very bad to very good;
    # each is read out by screen readers for a face.
    1: N_("Very bad"),
    2: N_("Bad"),
    3: N_("Okay"),
    4: N_("Good"),
    5: N_("Very good"),
}
# Unicode 6 faces: older phones and plain system fonts have them all (🙁 and 🙂 came later).
FACES = {1: "😞", 2: "😕", 3: "😐", 4: "😊", 5: "😃"}


# --- sending (``tandem check-ins``) ----------------------------------------------------------


def _due(now: datetime) -> ColumnElement[bool]:
    """Active and due: ``next_checkin_at`` has come; without it, four weeks after the start."""
    unscheduled = and_(
        col(Tandem.next_checkin_at).is_(None),
        or_(
            col(Tandem.fit_check_due_at) <= now,
            and_(
                col(Tandem.fit_check_due_at).is_(None),
                col(Tandem.started_at) <= now - FIT_CHECK_AFTER,
            ),
        ),
    )
    return and_(
        col(Tandem.status) == "active",
        or_(col(Tandem.next_checkin_at) <= now, unscheduled),
    )


def _sides(tandem: Tandem) -> list[tuple[str, Participant, Participant]]:
    """(role, person, partner) for both sides; nothing when a side was erased."""
    local, newcomer = tandem.local, tandem.newcomer
    if local is None or newcomer is None:
        return []
    return [("local", local, newcomer), ("newcomer", newcomer, local)]


def send_due_checkins(session: Session, *, settings: Settings, now: datetime) -> int:
    """Send every check-in that is due; return how many people were asked."""
    due = session.scalars(select(Tandem).where(_due(now)).order_by(col(Tandem.id))).all()
    sent = 0
    for tandem in due:
        claimed = session.execute(
            update(Tandem)
            .where(col(Tandem.id) == tandem.id, _due(now))
            .values(next_checkin_at=now + CHECKIN_EVERY)
            .execution_options(synchronize_session=False)
        )
        session.refresh(tandem)
        if rowcount(claimed) != 1:
            continue  # another run took it a moment ago, or it was paused or ended
        sent += _send(session, tandem, settings=settings, now=now)
    return sent


def _send(session: Session, tandem: Tandem, *, settings: Settings, now: datetime) -> int:
    asked_before = session.scalar(select(exists().where(col(CheckIn.tandem_id) == tandem.id)))
    kind = "regular" if asked_before or tandem.fit_checked_at else "fit_check"
    sides = _sides(tandem)
    for role, person, partner in sides:
        session.add(CheckIn(tandem_id=id_of(tandem), role=role, kind=kind, sent_at=now))
        links.send(
            session,
            person,
            "checkin",
            settings=settings,
            now=now,
            lifetime=LINK_LIFETIME,
            tandem=tandem,
            template="checkin",
            context={
                "first_name": person.first_name,
                "partner_name": partner.first_name,
                "fit_check": kind == "fit_check",
                "valid_until": local_date(now + LINK_LIFETIME, locale=person.locale),
                **signature.for_tandem(session, tandem),
            },
        )
    session.flush()
    if sides:
        audit.write(
            session,
            now=now,
            actor=None,
            action="checkin.sent",
            subject_type="tandem",
            subject_id=tandem.id,
        )
    return len(sides)


# --- answering (public, by the link) ---------------------------------------------------------


def open_link(session: Session, raw: str, *, now: datetime) -> links.Link:
    """What a check-in link is about, without using it up.

    Raises ``LinkInvalid`` for anything that is not a check-in link of a partner of
    its tandem; whether it can still be *answered* is ``check_answerable``'s job.
    """
    return links.open_tandem_link(session, raw, "checkin")


def open_checkin(session: Session, link: links.Link) -> CheckIn | None:
    """The person's open check-in (the newest unanswered one); None: nothing left to answer."""
    return session.scalars(
        select(CheckIn)
        .where(
            col(CheckIn.tandem_id) == link.tandem.id,
            col(CheckIn.role) == link.side,
            col(CheckIn.answered_at).is_(None),
        )
        .order_by(col(CheckIn.sent_at).desc(), col(CheckIn.id).desc())
    ).first()


def check_answerable(link: links.Link, checkin: CheckIn | None, *, now: datetime) -> CheckIn:
    """The check-in this link can answer (now); else raise the reason it cannot."""
    if link.token.used_at is not None or checkin is None:
        raise links.LinkUsed
    links.check(link.token, now=now)
    return checkin


@dataclass
class Answers:
    """The three answers as typed (kept on a validation error) and what is wrong with them."""

    meetings: str = ""
    mood: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def mood_value(self) -> int:
        return int(self.mood)

    @property
    def needs_attention(self) -> bool:
        """The stated rule (shown to coordinators as ``WORRYING_RULE``): a sad face or
        (almost) no meetings. A note alone is not a worry; "something is wrong" is a
        problem report of its own."""
        return self.mood_value <= WORRYING_MOOD or self.meetings == WORRYING_MEETINGS


def parse_answers(data: dict[str, Any]) -> Answers:
    answers = Answers(
        meetings=single(data, "meetings").strip(),
        mood=single(data, "mood").strip(),
        # One more than allowed, so that a too long note is an error, not cut off unseen.
        note=clean_text(single(data, "note"), max_length=NOTE_MAX + 1, multiline=True),
    )
    if answers.meetings not in MEETING_FREQUENCIES:
        answers.meetings = ""
        answers.errors["meetings"] = N_("Please choose how often you met.")
    if answers.mood not in {str(value) for value in MOODS}:
        answers.mood = ""
        answers.errors["mood"] = N_("Please choose a face.")
    if len(answers.note) > NOTE_MAX:
        answers.errors["note"] = N_("Please write at most 1000 characters.")
    return answers


def answer(session: Session, raw: str, answers: Answers, *, now: datetime) -> links.Link:
    """Store valid ``answers`` on the person's open check-in and use the link up.

    Safe under concurrency: the link is used up by a compare-and-set and the answer
    is written only onto a check-in that has none yet, so of two racing requests
    exactly one counts.
    """
    if answers.errors:
        raise ValueError("answers with errors")
    link = open_link(session, raw, now=now)
    checkin = check_answerable(link, open_checkin(session, link), now=now)
    links.use_up(session, link.token, now=now)
    _store_answers(
        session,
        checkin,
        answers,
        tandem=link.tandem,
        actor=link.person,
        action="checkin.answered",
        now=now,
    )
    session.flush()
    return link


def answer_for(
    session: Session,
    tandem: Tandem,
    role: str,
    answers: Answers,
    *,
    coordinator: Coordinator,
    how: str,
    now: datetime,
) -> CheckIn:
    """A coordinator records the answers a partner without e-mail gave by phone or in person
    (issue 16): stored like the person's own, audited as the coordinator's action on their
    request (``how``). Raises ``links.LinkUsed`` when nothing is open to answer."""
    if answers.errors:
        raise ValueError("answers with errors")
    checkin = session.scalars(
        select(CheckIn)
        .where(
            col(CheckIn.tandem_id) == tandem.id,
            col(CheckIn.role) == role,
            col(CheckIn.answered_at).is_(None),
        )
        .order_by(col(CheckIn.sent_at).desc(), col(CheckIn.id).desc())
    ).first()
    if checkin is None:
        raise links.LinkUsed
    _store_answers(
        session,
        checkin,
        answers,
        tandem=tandem,
        actor=coordinator,
        action=f"checkin.answered.on_request.{how}",
        now=now,
    )
    person_id = tandem.local_id if role == "local" else tandem.newcomer_id
    if person_id is not None:
        reach.done(
            session,
            participant_id=person_id,
            tandem_id=tandem.id,
            kinds=("checkin",),
            coordinator_id=coordinator.id,
            now=now,
        )
    session.flush()
    return checkin


def _store_answers(
    session: Session,
    checkin: CheckIn,
    answers: Answers,
    *,
    tandem: Tandem,
    actor: Participant | Coordinator,
    action: str,
    now: datetime,
) -> None:
    """Write the answers onto ``checkin`` unless it has some already (then ``LinkUsed``: of
    two racing answers exactly one counts), audit them, and close the fit check when this
    was the last open fit-check question."""
    stored = session.execute(
        update(CheckIn)
        .where(col(CheckIn.id) == checkin.id, col(CheckIn.answered_at).is_(None))
        .values(
            answered_at=now,
            meetings=answers.meetings,
            mood=answers.mood_value,
            note=answers.note or None,
            needs_attention=answers.needs_attention,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(stored) != 1:
        raise links.LinkUsed
    session.refresh(checkin)
    audit.write(
        session,
        now=now,
        actor=actor,
        action=action,
        subject_type="check_in",
        subject_id=checkin.id,
    )
    if checkin.kind == "fit_check" and _fit_check_answered_by_both(session, tandem):
        try:
            lifecycle.mark_fit_checked(session, tandem, actor=actor, now=now)
        except lifecycle.LifecycleError:
            pass  # the partner's answer or a coordinator marked it a moment ago, or it ended


def _fit_check_answered_by_both(session: Session, tandem: Tandem) -> bool:
    """The fit check is done when no partner's fit-check question is still open (an erased
    partner has none), or when a coordinator marks it done."""
    if tandem.fit_checked_at is not None:
        return False
    open_question = (
        select(col(CheckIn.id))
        .where(
            col(CheckIn.tandem_id) == tandem.id,
            col(CheckIn.kind) == "fit_check",
            col(CheckIn.answered_at).is_(None),
        )
        .limit(1)
    )
    return session.scalar(open_question) is None


# --- for coordinators --------------------------------------------------------------------------


def acknowledge(
    session: Session, checkin: CheckIn, *, coordinator: Coordinator, now: datetime
) -> bool:
    """A coordinator has seen a worrying answer: it leaves the "needs attention" queue.

    False when it was not (or no longer) flagged, e.g. a colleague clicked first.
    """
    cleared = session.execute(
        update(CheckIn)
        .where(col(CheckIn.id) == checkin.id, col(CheckIn.needs_attention).is_(True))
        .values(needs_attention=False)
        .execution_options(synchronize_session=False)
    )
    session.refresh(checkin)
    if rowcount(cleared) != 1:
        return False
    audit.write(
        session,
        now=now,
        actor=coordinator,
        action="checkin.seen",
        subject_type="check_in",
        subject_id=checkin.id,
    )
    session.flush()
    return True
