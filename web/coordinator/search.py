"""Find anyone: one box on every coordinator page, by name, e-mail, phone or town.

Case and accents do not matter ("celik" finds "Çelik", "MULLER" finds "Müller"), parts of
words do ("schm" finds "Schmidt"), and every word typed must match somewhere. Only people
in the coordinator's regions are found (``visible_participants``). Names and e-mail are
searched in ``Participant.search_text``, stored folded on every write (``web.core.folding``),
with a trigram index on PostgreSQL; town names are folded here (the places of the regions).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core.access import region_ids_of, visible_participants
from web.core.folding import fold
from web.core.models import Coordinator, Participant, Place
from web.core.sql import rel

LIMIT = 25
MAX_WORDS = 5


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words_of(query: str) -> list[str]:
    return [fold(word) for word in query.split()[:MAX_WORDS] if word.strip()]


def condition(query: str, places: Sequence[tuple[int, str]] = ()) -> ColumnElement[bool] | None:
    """Every word matches a name, the e-mail, the phone or the town (one of ``places``, as
    (id, name)); None for no words."""
    words = words_of(query)
    if not words:
        return None
    towns = [(place_id, fold(name)) for place_id, name in places]
    phone = func.replace(func.replace(func.coalesce(Participant.phone, ""), " ", ""), "-", "")
    clauses = []
    for word in words:
        # Names and e-mail: the stored folded text (a trigram index on PostgreSQL). Towns:
        # matched here, so that the database sees a plain list of ids and can use both indexes.
        matches = [col(Participant.search_text).like(f"%{_escape(word)}%", escape="\\")]
        in_towns = [place_id for place_id, name in towns if word in name]
        if in_towns:
            matches.append(col(Participant.place_id).in_(in_towns))
        digits = word.replace(" ", "").replace("-", "")
        if digits.lstrip("+").isdigit() and len(digits) >= 3:
            matches.append(phone.like(f"%{digits}%"))
        clauses.append(or_(*matches))
    return and_(*clauses)


def towns_of(session: Session, coordinator: Coordinator) -> Sequence[tuple[int, str]]:
    """The places of the coordinator's regions, as (id, name)."""
    query = select(col(Place.id), col(Place.name))
    region_ids = region_ids_of(session, coordinator)
    if region_ids is not None:
        query = query.where(col(Place.region_id).in_(region_ids))
    return [(place_id, name) for place_id, name in session.execute(query)]


def find(session: Session, coordinator: Coordinator, query: str) -> Sequence[Participant]:
    """Up to ``LIMIT`` people in the coordinator's regions matching ``query``."""
    if not words_of(query):
        return []
    matching = condition(query, towns_of(session, coordinator))
    if matching is None:
        return []
    return session.scalars(
        visible_participants(session, coordinator)
        .where(matching)
        .options(selectinload(rel(Participant.place)))
        .order_by(col(Participant.first_name), col(Participant.last_name), col(Participant.id))
        .limit(LIMIT)
    ).all()
