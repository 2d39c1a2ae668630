"""Find anyone: one box on every coordinator page, by name, e-mail, phone or town.

Case and accents do not matter ("celik" finds "Çelik", "MULLER" finds "Müller"), parts of
words do ("schm" finds "Schmidt"), and every word typed must match somewhere. Only people
in the coordinator's regions are found (``visible_participants``). Folding is done in SQL
(``web.core.folding``) the same way on SQLite and PostgreSQL, so no extension and no extra
column are needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col

from web.core.access import visible_participants
from web.core.folding import fold, folded
from web.core.models import Coordinator, Participant, Place
from web.core.sql import rel

LIMIT = 25
MAX_WORDS = 5


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words_of(query: str) -> list[str]:
    return [fold(word) for word in query.split()[:MAX_WORDS] if word.strip()]


def condition(query: str) -> ColumnElement[bool] | None:
    """Every word matches a name, the e-mail, the phone or the town; None for no words."""
    words = words_of(query)
    if not words:
        return None
    # One folded text per row (names, e-mail, town): one call of the fold per row, not four
    # per word. A word has no spaces, so it cannot match across two fields.
    haystack = folded(
        func.coalesce(Participant.first_name, "")
        + " "
        + func.coalesce(Participant.last_name, "")
        + " "
        + func.coalesce(Participant.email, "")
        + " "
        + func.coalesce(Place.name, "")
    )
    phone = func.replace(func.replace(func.coalesce(Participant.phone, ""), " ", ""), "-", "")
    clauses = []
    for word in words:
        pattern = f"%{_escape(word)}%"
        matches = [haystack.like(pattern, escape="\\")]
        digits = word.replace(" ", "").replace("-", "")
        if digits.lstrip("+").isdigit() and len(digits) >= 3:
            matches.append(phone.like(f"%{digits}%"))
        clauses.append(or_(*matches))
    return and_(*clauses)


def find(session: Session, coordinator: Coordinator, query: str) -> Sequence[Participant]:
    """Up to ``LIMIT`` people in the coordinator's regions matching ``query``."""
    matching = condition(query)
    if matching is None:
        return []
    return session.scalars(
        visible_participants(session, coordinator)
        .where(matching)
        .options(selectinload(rel(Participant.place)))
        .order_by(col(Participant.first_name), col(Participant.last_name), col(Participant.id))
        .limit(LIMIT)
    ).all()
