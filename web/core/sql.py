"""Typed bridges between SQLModel's table models and SQLAlchemy 2's typed API.

SQLModel annotates a table model's attributes with their Python values (``int``,
``Place``), so a type checker cannot see them as the SQL expressions they are on the
class. ``sqlmodel.col`` covers columns; these cover what it does not. Each returns
its argument (or the same object SQLAlchemy already holds) and changes nothing at runtime.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Result, Table, inspect
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import SQLModel

_T = TypeVar("_T")


def rel(attribute: _T) -> QueryableAttribute[_T]:
    """A relationship attribute (``Participant.place``) as a loader option or ``has()`` takes it."""
    if not isinstance(attribute, QueryableAttribute):
        raise TypeError(f"not a mapped attribute: {attribute!r}")
    return attribute


def table(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a table model (its ``__table__``)."""
    found = inspect(model).local_table
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return found


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched.

    SQLModel types ``Session.execute`` as returning a plain ``Result``; for a DML
    statement SQLAlchemy returns a ``CursorResult``, which counts them.
    """
    return cast(CursorResult[Any], result).rowcount


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Row) -> int:
    """The primary key of a row that is in the database.

    SQLModel types ``id`` as ``int | None``: None only before the row's first flush.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id before its first flush")
    return row.id
