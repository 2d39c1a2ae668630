"""Where a participant stands today, in one word and a date: waiting (since when), proposed,
in a tandem (since when), tandem paused, paused, tandem ended, withdrawn …

``STANDINGS`` is the closed list (the participant list filters by it). ``condition`` turns
one standing into a SQL condition on ``Participant``; ``of_people`` computes the standing
of one page of people with a single query over their tandems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, not_, or_, select
from sqlmodel import Session, col

from web.core.i18n import N_
from web.core.models import Participant, Tandem
from web.core.vocabulary import OPEN_TANDEM_STATUSES

STANDINGS = {
    # Translators: where a participant stands, in the coordinator's participant list.
    "waiting": N_("Waiting for a partner"),
    "proposed": N_("Proposed, waiting for answers"),
    "in_tandem": N_("In a tandem"),
    "tandem_paused": N_("Tandem paused"),
    "ended": N_("Tandem ended"),
    # Translators: a participant who paused their own participation (e.g. holidays).
    "paused": N_("Paused"),
    "to_review": N_("Sign-up to review"),
    "unverified": N_("E-mail address not confirmed"),
    "withdrawn": N_("Withdrawn"),
    "declined": N_("Sign-up declined"),
}
_BY_STATUS = {
    "unverified": "unverified",
    "pending": "to_review",
    "withdrawn": "withdrawn",
    "declined": "declined",
}
_BY_TANDEM = {"proposed": "proposed", "active": "in_tandem", "paused": "tandem_paused"}


@dataclass(frozen=True)
class Standing:
    key: str  # a key of STANDINGS
    since: date | datetime | None = None  # waiting since, proposed on, started on, ended on …
    days: int | None = None  # waiting days (only for "waiting")


def _tandem_of(status: str | tuple[str, ...]) -> ColumnElement[bool]:
    statuses = (status,) if isinstance(status, str) else status
    return exists().where(
        or_(
            col(Tandem.local_id) == col(Participant.id),
            col(Tandem.newcomer_id) == col(Participant.id),
        ),
        col(Tandem.status).in_(statuses),
    )


def condition(key: str) -> ColumnElement[bool]:
    """The SQL condition "this participant's standing is ``key``" (as ``of_people`` decides)."""
    for status, standing in _BY_STATUS.items():
        if key == standing:
            return col(Participant.status) == status
    in_open = _tandem_of(OPEN_TANDEM_STATUSES)
    in_play = col(Participant.status).in_(("active", "paused"))
    if key in _BY_TANDEM.values():
        tandem_status = next(s for s, k in _BY_TANDEM.items() if k == key)
        stronger = [s for s in OPEN_TANDEM_STATUSES if _rank(s) > _rank(tandem_status)]
        return (
            and_(in_play, _tandem_of(tandem_status), not_(_tandem_of(tuple(stronger))))
            if stronger
            else and_(in_play, _tandem_of(tandem_status))
        )
    if key == "waiting":
        return and_(col(Participant.status) == "active", not_(in_open))
    if key == "ended":
        return and_(col(Participant.status) == "paused", not_(in_open), _tandem_of("ended"))
    if key == "paused":
        return and_(col(Participant.status) == "paused", not_(in_open), not_(_tandem_of("ended")))
    return false()


def sorted_by_standing(query: Select[Any], *, descending: bool = False) -> Select[Any]:
    """``query`` (of ``Participant``) ordered by standing, in the order of ``STANDINGS``
    (waiting first), as ``of_people`` decides it: one outer join to each person's strongest
    tandem, not a subquery per row."""
    ranks = case(
        (col(Tandem.status) == "active", 3),
        (col(Tandem.status) == "paused", 2),
        (col(Tandem.status) == "proposed", 1),
        else_=0,
    )
    counted = col(Tandem.status).in_((*OPEN_TANDEM_STATUSES, "ended"))
    union = (
        select(col(Tandem.local_id).label("pid"), ranks.label("rank"))
        .where(counted)
        .union_all(select(col(Tandem.newcomer_id).label("pid"), ranks.label("rank")).where(counted))
        .subquery()
    )
    strongest = (
        select(union.c.pid, func.max(union.c.rank).label("best")).group_by(union.c.pid).subquery()
    )
    position = list(STANDINGS).index
    key = case(
        *((col(Participant.status) == status, position(k)) for status, k in _BY_STATUS.items()),
        (strongest.c.best == 3, position("in_tandem")),
        (strongest.c.best == 2, position("tandem_paused")),
        (strongest.c.best == 1, position("proposed")),
        (
            and_(col(Participant.status) == "paused", strongest.c.best == 0),
            position("ended"),
        ),
        (col(Participant.status) == "paused", position("paused")),
        else_=position("waiting"),
    )
    return query.outerjoin(strongest, strongest.c.pid == col(Participant.id)).order_by(
        key.desc() if descending else key.asc()
    )


def _rank(tandem_status: str) -> int:
    """Which open tandem names the standing when a local has several: active first."""
    return {"active": 3, "paused": 2, "proposed": 1}.get(tandem_status, 0)


def of_people(
    session: Session, people: Sequence[Participant], *, today: date
) -> dict[int, Standing]:
    """The standing of each of ``people`` (by id); one query, whatever the page size."""
    ids = [p.id for p in people if p.id is not None]
    best: dict[int, tuple[int, str, datetime | None]] = {}
    last_end: dict[int, datetime | None] = {}
    if ids:
        rows = session.execute(
            select(
                col(Tandem.local_id),
                col(Tandem.newcomer_id),
                col(Tandem.status),
                col(Tandem.proposed_at),
                col(Tandem.started_at),
                col(Tandem.paused_at),
                col(Tandem.ended_at),
            ).where(
                or_(col(Tandem.local_id).in_(ids), col(Tandem.newcomer_id).in_(ids)),
                col(Tandem.status).in_((*OPEN_TANDEM_STATUSES, "ended")),
            )
        ).all()
        for local_id, newcomer_id, status, proposed, started, paused, ended in rows:
            for pid in (local_id, newcomer_id):
                if pid is None:
                    continue
                if status == "ended":
                    if ended is not None and (last_end.get(pid) or ended) <= ended:
                        last_end[pid] = ended
                    continue
                moment = {"proposed": proposed, "active": started, "paused": paused}[status]
                if pid not in best or best[pid][0] < _rank(status):
                    best[pid] = (_rank(status), status, moment)
    result: dict[int, Standing] = {}
    for person in people:
        assert person.id is not None  # noqa: S101 (rows from the database)
        result[person.id] = _standing(
            person, best.get(person.id), last_end.get(person.id), today=today
        )
    return result


def _standing(
    person: Participant,
    open_tandem: tuple[int, str, datetime | None] | None,
    ended_at: datetime | None,
    *,
    today: date,
) -> Standing:
    if person.status in _BY_STATUS:
        return Standing(_BY_STATUS[person.status])
    if open_tandem is not None:
        _, status, moment = open_tandem
        return Standing(_BY_TANDEM[status], moment)
    if person.status == "paused":
        return Standing("ended", ended_at) if ended_at is not None else Standing("paused")
    since = person.waiting_since
    days = max((today - since).days, 0) if since is not None else None
    return Standing("waiting", since, days)
