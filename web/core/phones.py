"""Phone numbers: checked and stored in international form (E.164, "+4956112345"),
shown in the national format of their country ("0561 12345"), with the
``phonenumbers`` library (Google's libphonenumber data)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "DE"  # a number typed without +country code is a German one
PHONE_MAX = 40  # what a person may type (spaces, dashes, brackets)


def parse(text: str, *, region: str = DEFAULT_REGION) -> str | None:
    """``text`` as E.164, or None if it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str | None, *, region: str = DEFAULT_REGION) -> str:
    """A stored number as people in ``region`` dial it: national format for numbers of
    that country, international format for others; "" for none."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
