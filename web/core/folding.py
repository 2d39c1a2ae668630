"""Text folded for searching: lower case, without accents ("Çelik" → "celik", "Straße" →
"strasse"), the same in Python and in SQL on SQLite and PostgreSQL.

On SQLite ``tandem_fold`` is a Python function registered on every connection
(``web.core.db``); on PostgreSQL it is ``lower`` + ``translate``.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

# Letters NFKD does not take apart.
_SPECIAL = {
    "ß": "ss",
    "ẞ": "ss",
    "ı": "i",
    "ø": "o",
    "Ø": "o",
    "ł": "l",
    "Ł": "l",
    "đ": "d",
    "Đ": "d",
}
# For PostgreSQL's translate (one letter for one letter); ß is replaced after it.
_PG_FROM = "äöüéèêëáàâãåíìîïóòôõúùûçşğñšžčćřýıøłđ"
_PG_TO = "aoueeeeaaaaaiiiioooouuucsgnszccryiold"


def fold(text: str | None) -> str:
    """``text`` lower-cased, without accents; "" for None."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()  # most names: the fast way (the search calls this per row)
    for letter, plain in _SPECIAL.items():
        text = text.replace(letter, plain)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def search_text(*parts: str | None) -> str:
    """What the coordinator's search looks in, stored with each participant: the parts
    folded and joined by spaces (a typed word has no spaces, so it matches within one part)."""
    return " ".join(fold(part) for part in parts if part)[:420]


class folded(FunctionElement):  # noqa: N801 (used like a SQL function)
    """``folded(column)``: the column as ``fold`` would give it, in SQL."""

    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"tandem_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"replace(translate(lower(coalesce({inner}, '')), '{_PG_FROM}', '{_PG_TO}'), 'ß', 'ss')"
