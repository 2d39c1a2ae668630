"""A person named so that two people tell apart: full name and town ("Iryna Haddad
(Kassel)" next to "Iryna Haddad (Baunatal)"), the same way in every coordinator list, card
and message.

``display_name(person)`` gives the text (for flash messages and e-mails to coordinators);
the ``person_link`` macro in ``templates/_macros.html`` gives the same, linked to the
person's page. ``person`` is a ``Participant`` (its ``place`` loaded) or a ``PersonName``
read by a query that selects only the columns it needs (``PersonName.columns``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from web.core.models import Participant, Place


class Named(Protocol):
    public_id: str
    first_name: str
    last_name: str | None


@dataclass(frozen=True)
class PersonName:
    public_id: str
    first_name: str
    last_name: str | None
    town: str | None

    @staticmethod
    def columns(person: Any, place: Any) -> tuple[Any, ...]:
        """The columns a query selects for one person (``person`` an alias of Participant
        and ``place`` one of Place, outer-joined on ``person.place_id``)."""
        return (
            col(person.public_id),
            col(person.first_name),
            col(person.last_name),
            col(place.name),
        )

    @classmethod
    def of(cls, row: Any, start: int = 0) -> PersonName | None:
        """The person in ``row[start:start + 4]`` (None when the person was erased)."""
        public_id, first, last, town = tuple(row)[start : start + 4]
        if public_id is None:
            return None
        return cls(public_id, first, last, town)


def aliases() -> tuple[Any, Any]:
    """A fresh (Participant, Place) pair of aliases for one person in a query."""
    return aliased(Participant), aliased(Place)


def by_id(session: Session, ids: Iterable[int]) -> dict[int, PersonName]:
    """The named people of ``ids`` (one query; erased ones are missing)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(col(Participant.id), *PersonName.columns(Participant, Place))
        .outerjoin(Place, col(Participant.place_id) == col(Place.id))
        .where(col(Participant.id).in_(wanted))
    ).all()
    return {row[0]: PersonName(*row[1:]) for row in rows}


def full_name(person: Named | None) -> str:
    if person is None:
        return ""
    return f"{person.first_name} {person.last_name}" if person.last_name else person.first_name


def town_of(person: Named | None) -> str:
    if person is None:
        return ""
    if isinstance(person, PersonName):
        return person.town or ""
    place = getattr(person, "place", None)  # a Place, or its name (a suggestion card)
    if isinstance(place, str):
        return place
    return place.name if place is not None else ""


def display_name(person: Named | None) -> str:
    """Full name and town: "Iryna Haddad (Kassel)"; "" for an erased person (the caller
    then says "a former participant")."""
    if person is None:
        return ""
    town = town_of(person)
    return f"{full_name(person)} ({town})" if town else full_name(person)


def install(environment: Environment) -> None:
    environment.globals["full_name"] = full_name
    environment.globals["town_of"] = town_of
    environment.globals["display_name"] = display_name
