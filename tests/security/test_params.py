"""web.core.params: the one strict parser for whole numbers and days from requests."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.core import params

NOT_ASCII_DIGITS = ["²", "²²²²²²", "٣", "١٩٩٠", "۱۲", "１２", "𝟏𝟐", "½"]


@pytest.mark.parametrize("text", ["0", "7", "0042", " 12 ", str(params.INT_MAX)])
def test_integer_reads_ascii_digits_in_range(text):
    assert params.integer(text) == int(text)


@pytest.mark.parametrize(
    "text",
    [*NOT_ASCII_DIGITS, "", " ", "-1", "+1", "1_000", "1e3", "1.0", "0x10", "1 2", "\x00",
     str(params.INT_MAX + 1), "9" * 30, "1" * 5000],
)  # fmt: skip
def test_integer_refuses_everything_else(text):
    with pytest.raises(params.BadValue):
        params.integer(text)


def test_integer_bounds_and_the_optional_forms():
    assert params.integer("5", low=1, high=5) == 5
    with pytest.raises(params.BadValue):
        params.integer("6", low=1, high=5)
    with pytest.raises(params.BadValue):
        params.row_id("0")
    assert params.optional_integer("") is None and params.optional_integer("  ") is None
    assert params.optional_integer("3") == 3


@pytest.mark.parametrize(
    ("text", "page"),
    [("2", 2), ("", 1), ("0", 1), ("²²", 1), ("٣", 1), ("10000", 10_000), ("10001", 1),
     ("99999999999999999999999", 1), ("-2", 1)],
)  # fmt: skip
def test_page_number_is_lenient_but_bounded(text, page):
    assert params.page_number(text) == page


@pytest.mark.parametrize(
    ("text", "day"),
    [("2025-01-31", date(2025, 1, 31)), (" 1900-01-01 ", date(1900, 1, 1)),
     ("2100-12-31", date(2100, 12, 31))],
)  # fmt: skip
def test_day_reads_year_month_day(text, day):
    assert params.day(text) == day


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "2025-02-30", "2025-13-01",
     "20250131", "2025-W05-1", "2025-01-31T00:00", "٢٠٢٥-٠١-٠١", "31.01.2025", "", "\x00",
     "2025-1-31"],
)  # fmt: skip
def test_day_refuses_other_forms_and_days_out_of_range(text):
    with pytest.raises(params.BadValue):
        params.day(text)


def test_a_day_may_also_be_written_the_german_way():
    assert params.day_iso_or_german("31.1.2025") == date(2025, 1, 31)
    assert params.day_iso_or_german("2025-01-31") == date(2025, 1, 31)
    for text in ("31.01.0001", "٣١.٠١.٢٠٢٥", "32.01.2025"):
        with pytest.raises(params.BadValue):
            params.day_iso_or_german(text)


def test_a_code_keeps_its_leading_zeros_and_needs_ascii_digits():
    assert params.digits("012345", length=6) == "012345"
    for text in ("²²²²²²", "١٢٣٤٥٦", "12345６", "12345", "1234567"):
        with pytest.raises(params.BadValue):
            params.digits(text, length=6)


@given(st.text())
def test_no_text_gets_anything_but_a_value_or_bad_value(text):
    for parse in (params.integer, params.row_id, params.day, params.day_iso_or_german):
        try:
            parse(text)
        except params.BadValue:
            pass
    assert 1 <= params.page_number(text) <= params.PAGE_MAX
