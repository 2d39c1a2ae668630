"""Tables to download, as files a coordinator opens in a spreadsheet (issue 15 §8).

- CSV that German Excel opens by a double click: UTF-8 with a byte order mark, ``;`` between
  cells, a decimal comma, days as ``dd.mm.yyyy`` in the programme's time zone.
- ``.xlsx`` (openpyxl): numbers as numbers, days as days, text always as text.

No cell ever runs as a formula (CSV injection): text starting with ``= + - @``, a tab or a
carriage return gets a leading ``'`` in CSV, and in ``.xlsx`` every text cell is stored as a
string, never as a formula. Headers and values arrive translated and labelled; nothing here
knows a stored code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from web.core.dates import PROGRAMME_TIMEZONE

Cell = str | int | float | date | datetime | None
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as it is, never runs (a leading ``'``)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def local_day(moment: date | datetime) -> date:
    """A moment as the programme's calendar day (Europe/Berlin)."""
    if isinstance(moment, datetime):
        if PROGRAMME_TIMEZONE is not None:
            moment = moment.astimezone(PROGRAMME_TIMEZONE)
        return moment.date()
    return moment


def german_number(value: float) -> str:
    """``12.5`` → ``12,5``; at most two decimals, no thousands separator."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):  # labels are expected; a bare flag would be a code
        raise TypeError("give a label, not a flag")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return german_number(cell)
    if isinstance(cell, date):  # datetime is a date too
        return local_day(cell).strftime("%d.%m.%Y")
    return neutralise(str(cell))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """The table as CSV for German Excel: BOM, ``;``, decimal comma, ``dd.mm.yyyy``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([[csv_cell(cell) for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return _SHEET_FORBIDDEN.sub(" ", title).strip()[:31] or "Tandem"


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str) -> bytes:
    """The table as an ``.xlsx`` workbook of one sheet: a bold header row, numbers as
    numbers, days as days (``DD.MM.YYYY``), text as text (never a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))

    def cell(value: Cell, *, bold: bool = False) -> Any:
        if isinstance(value, bool):
            raise TypeError("give a label, not a flag")
        if isinstance(value, date):
            # openpyxl writes a calendar day as such (its stubs name only datetimes).
            written = WriteOnlyCell(sheet, value=cast(Any, local_day(value)))
            written.number_format = "DD.MM.YYYY"
        elif value is None or isinstance(value, int | float):
            written = WriteOnlyCell(sheet, value=value)
        else:
            written = WriteOnlyCell(sheet, value=str(value))
            written.data_type = "s"  # a string even when it starts with "=": never a formula
        if bold:
            written.font = Font(bold=True)
        return written

    sheet.append([cell(value, bold=True) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(
    file_format: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str
) -> tuple[bytes, str]:
    """The table as ``file_format`` (``csv`` or ``xlsx``): its bytes and media type."""
    if file_format == "xlsx":
        return to_xlsx(header, rows, title=title), XLSX_TYPE
    return to_csv(header, rows), CSV_TYPE
