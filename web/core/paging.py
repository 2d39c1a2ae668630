"""Long lists in pages: which page a link asks for, what it shows, how many there are.

    page = paging.page(requested, total=paging.count(session, query), size=settings.page_size)
    rows = session.scalars(page.of(query.order_by(...))).all()

and in the template ``{{ pager(page, query_string) }}`` (``templates/_macros.html``).
A page number beyond the last shows the last page, never an empty one; a page number
that is not one shows the first (``params.page_number``: it came from a link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlmodel import Session

from web.core import params

_Query = TypeVar("_Query", bound=Select[Any])


@dataclass(frozen=True)
class Page:
    number: int  # 1 to pages
    pages: int  # at least 1
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def of(self, query: _Query) -> _Query:
        """``query`` limited to the rows of this page (order it first)."""
        return query.limit(self.size).offset(self.offset)


def count(session: Session, query: Select[Any]) -> int:
    """How many rows ``query`` finds."""
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def page(requested: object, *, total: int, size: int) -> Page:
    """The page a link asks for (a page number as text, or a number), within 1..pages."""
    number = requested if isinstance(requested, int) else params.page_number(requested)
    pages = max(1, -(-total // size))
    return Page(number=min(max(number, 1), pages), pages=pages, size=size, total=total)
