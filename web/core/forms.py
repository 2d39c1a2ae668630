"""Parsing and validating the participant form (sign-up and profile edit).

Form models are not table models: only the fields below can be set from a
request, so ``status`` or ``role`` can never be mass-assigned. Every message
is marked for translation and shown next to its field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from litestar.enums import RequestEncodingType
from litestar.params import Body

from web.core import phones
from web.core.i18n import N_
from web.core.vocabulary import (
    CONTACT_CHANNELS,
    GENDERS,
    GUARDIAN_RELATIONS,
    HELP_TOPICS,
    INTERESTS,
    LANGUAGES,
    LEVELS,
    SLOTS,
)

# A URL-encoded form body, as every form handler takes it (``data: FormData``); repeated
# keys (checkbox groups) arrive as lists.
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

MIN_AGE = 16  # signing up online; a coordinator may register younger people (settings)
ADULT_AGE = 18  # younger people need a guardian recorded, with the guardian's consent
MAX_LANGUAGE_ROWS = 4
NAME_MAX = 80
ABOUT_MAX = 500
EMAIL_MAX = 254
# Shown wherever an address is asked for; the example is filled in by the message macro.
EMAIL_ERROR = N_("Please enter an e-mail address like %(example_email)s.")
PLACE_MAX = 120
# The most characters each text field takes: the form's ``maxlength`` and the server's
# check are both made from this, so that nothing is ever cut off silently.
MAX_LENGTHS = {
    "first_name": NAME_MAX,
    "last_name": NAME_MAX,
    "email": EMAIL_MAX,
    "place": PLACE_MAX,
    "about_me": ABOUT_MAX,
    "phone": phones.PHONE_MAX,
    "guardian_name": 160,
    "guardian_phone": phones.PHONE_MAX,
    "guardian_email": EMAIL_MAX,
}
PHONE_ERROR = N_("Please enter a phone number like %(example_phone)s.")
TOO_LONG = N_("Please shorten this to at most %(limit)s characters.")
# Locales whose readers count years in the Solar Hijri calendar (Iran, Afghanistan): a
# year of birth typed there may be a Solar Hijri year, and is converted. Dari (fa_AF)
# is listed ahead of its catalogue.
SOLAR_HIJRI_LOCALES = frozenset({"fa", "fa_AF"})
# A Solar Hijri year begins at Nowruz (about 21 March), so year Y runs from March of
# Gregorian Y + 621 to March of Y + 622. A birth year alone cannot say which, so it is
# read as Y + 621, the Gregorian year that holds most of it (the first nine and a half
# months); a person born between January and Nowruz is placed one year early, which
# the form shows them so that they can correct it.
SOLAR_HIJRI_OFFSET = 621
PARTNER_WISHES = ("any", "female", "male")
# Bidirectional overrides and isolates can disguise text (e.g. reverse a link);
# ZWJ/ZWNJ stay, Persian spelling needs them.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# Without the characters the mailer refuses in an address (web.core.mail): such an address gets
# the message next to the field, not a 500 when its e-mail is written.
_EMAIL = re.compile(r"[^@\s<>,;:\"']+@[^@\s<>,;:\"']+\.[^@\s<>,;:\"']+")


def is_email(text: str) -> bool:
    """One plain address the app can write to (at most 254 characters, as SMTP allows)."""
    return len(text) <= EMAIL_MAX and bool(_EMAIL.fullmatch(text))


def clean_text(value: object, *, max_length: int | None, multiline: bool = False) -> str:
    """NFC-normalised text without control or bidi-override characters, trimmed and capped
    (``max_length`` None: not capped, for a form that says when text is too long)."""
    text = unicodedata.normalize("NFC", str(value or "")).translate(_BIDI_CONTROLS)
    kept = "\n" if multiline else ""
    text = "".join(
        ch for ch in text if ch in kept or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    )
    if multiline:
        text = "\n".join(line.strip() for line in text.replace("\r", "").split("\n")).strip()
    else:
        text = " ".join(text.split())
    return text if max_length is None else text[:max_length]


def values(data: dict[str, Any], key: str) -> list[str]:
    """All values of a form field (checkbox groups send one value per ticked box), without
    NUL: PostgreSQL refuses it in text, also in a lookup (an id, a slug), with a 500."""
    raw = data.get(key)
    if raw is None:
        return []
    return [str(v).replace("\x00", "") for v in (raw if isinstance(raw, list) else [raw])]


def single(data: dict[str, Any], key: str) -> str:
    found = values(data, key)
    return found[0] if found else ""


@dataclass
class ParticipantForm:
    """What a person typed, cleaned, plus the errors to show next to each field."""

    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    place: str = ""
    languages: list[tuple[str, str]] = field(default_factory=list)  # (code, level) rows
    learning: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    help_topics: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    online_ok: bool = False
    needs_step_free: bool = False  # issue 17: meeting places and events without steps
    gender: str = ""  # "" = prefer not to say
    partner_wish: str = "any"
    birth_year: str = ""
    capacity: str = "1"
    about_me: str = ""
    consent_matching: bool = False
    consent_contact: bool = False
    solar_hijri_year: str = ""  # the Solar Hijri year typed, when birth_year was converted
    # Issue 16: how to reach the person without e-mail, interpreter, guardian of a minor.
    phone: str = ""  # as typed; ``phone_e164`` once checked
    phone_e164: str = ""
    contact_channel: str = ""  # "" = not said
    interpreter_needed: bool = False
    interpreter_language: str = ""
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_phone: str = ""
    guardian_phone_e164: str = ""
    guardian_email: str = ""
    consent_guardian: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    max_lengths: ClassVar[dict[str, int]] = MAX_LENGTHS  # for the template's maxlength

    @property
    def partner_genders(self) -> list[str]:
        return [] if self.partner_wish == "any" else [self.partner_wish]

    @property
    def language_rows(self) -> list[tuple[str, str]]:
        """The rows the form shows: what was entered, padded with empty rows."""
        rows = list(self.languages)
        while len(rows) < MAX_LANGUAGE_ROWS:
            rows.append(("", ""))
        return rows


def parse_participant_form(
    data: dict[str, Any],
    *,
    role: str,
    this_year: int,
    with_consent: bool = True,
    locale: str = "",
    email_required: bool = True,
    min_age: int = MIN_AGE,
) -> ParticipantForm:
    """Clean and check every field; ``form.errors`` is empty when the form is valid.
    ``locale``: the page's language, which decides how a year of birth is read.
    ``email_required`` False and a lower ``min_age``: a coordinator registers the person."""
    form = ParticipantForm(role=role)
    errors = form.errors
    form.first_name = clean_text(single(data, "first_name"), max_length=None)
    form.last_name = clean_text(single(data, "last_name"), max_length=None)
    form.email = clean_text(single(data, "email"), max_length=None).lower()
    form.place = clean_text(single(data, "place"), max_length=None)
    form.about_me = clean_text(single(data, "about_me"), max_length=None, multiline=True)
    if not form.first_name:
        errors["first_name"] = N_("Please enter your first name.")
    if (email_required or form.email) and not is_email(form.email):
        errors["email"] = EMAIL_ERROR
    if not form.place:
        errors["place"] = N_("Please choose your town or village from the list.")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(form, name)) > limit:
            errors[name] = TOO_LONG  # shown with its limit; what was typed is shown again

    for index in range(1, MAX_LANGUAGE_ROWS + 1):
        code, level = single(data, f"language_{index}"), single(data, f"level_{index}")
        if not code and not level:
            continue
        form.languages.append((code, level))
        if code not in LANGUAGES or level not in LEVELS:
            errors["languages"] = N_("Please choose a language and a level in each row.")
    codes = [code for code, _ in form.languages]
    if len(set(codes)) != len(codes):
        errors["languages"] = N_("Each language only once, please.")
    if not form.languages:
        errors["languages"] = N_("Please tell us at least one language you speak.")

    form.learning = _choices(data, "learning", LANGUAGES, errors)
    form.interests = _choices(data, "interests", INTERESTS, errors)
    form.help_topics = _choices(data, "help_topics", HELP_TOPICS, errors)
    form.slots = _choices(data, "slots", SLOTS, errors)
    if not form.slots and "slots" not in errors:
        errors["slots"] = N_("Please tick at least one time in the week when you could meet.")
    if not form.help_topics and "help_topics" not in errors:
        errors["help_topics"] = (
            N_("Please choose at least one thing you can help with.")
            if role == "local"
            else N_("Please choose at least one thing you would like help with.")
        )

    form.online_ok = bool(single(data, "online_ok"))
    form.needs_step_free = bool(single(data, "needs_step_free"))
    form.gender = single(data, "gender")
    if form.gender not in ("", *GENDERS):
        errors["gender"] = N_("Please choose one of the options.")
    form.partner_wish = single(data, "partner_wish") or "any"
    if form.partner_wish not in PARTNER_WISHES:
        errors["partner_wish"] = N_("Please choose one of the options.")

    form.birth_year = ascii_digits(clean_text(single(data, "birth_year"), max_length=None))
    if locale in SOLAR_HIJRI_LOCALES and is_solar_hijri_year(form.birth_year, this_year):
        form.solar_hijri_year = form.birth_year
        form.birth_year = str(int(form.birth_year) + SOLAR_HIJRI_OFFSET)
    if (
        not (form.birth_year.isascii() and form.birth_year.isdecimal())
        or len(form.birth_year) != 4
        or not 1900 <= int(form.birth_year) <= this_year
    ):
        errors["birth_year"] = (
            N_("Please enter the year you were born, for example 1990 or 1369.")
            if locale in SOLAR_HIJRI_LOCALES
            else N_("Please enter the year you were born, for example 1990.")
        )
    elif this_year - int(form.birth_year) < min_age:
        errors["birth_year"] = (
            N_(
                "We are sorry: you can sign up yourself from the age of 16. Until then, a parent "
                "or guardian has to agree, so please ask them to contact the programme."
            )
            if min_age == MIN_AGE
            else N_("The programme takes people from the age of %(limit)s.")
        )
    _parse_contact(data, form, email_required=email_required)
    if "birth_year" not in errors and this_year - int(form.birth_year) < ADULT_AGE:
        _parse_guardian(data, form, with_consent=with_consent)

    if role == "local":
        form.capacity = single(data, "capacity") or "1"
        if form.capacity not in ("1", "2", "3"):
            errors["capacity"] = N_("Please choose 1, 2 or 3 tandems.")

    if with_consent:
        form.consent_matching = bool(single(data, "consent_matching"))
        form.consent_contact = bool(single(data, "consent_contact"))
        if not form.consent_matching:
            errors["consent_matching"] = N_(
                "Without this consent we cannot look for a partner for you."
            )
        if not form.consent_contact:
            errors["consent_contact"] = N_(
                "Without this consent we cannot introduce you to your partner."
            )
    return form


def _parse_contact(data: dict[str, Any], form: ParticipantForm, *, email_required: bool) -> None:
    errors = form.errors
    form.phone = clean_text(single(data, "phone"), max_length=None)
    if form.phone and len(form.phone) <= phones.PHONE_MAX:
        form.phone_e164 = phones.parse(ascii_digits(form.phone)) or ""
        if not form.phone_e164:
            errors["phone"] = PHONE_ERROR
    form.contact_channel = single(data, "contact_channel")
    if form.contact_channel not in ("", *CONTACT_CHANNELS):
        errors["contact_channel"] = N_("Please choose one of the options.")
    elif form.contact_channel == "email" and not form.email and "email" not in errors:
        errors["contact_channel"] = N_("Please give an e-mail address to be reached by e-mail.")
    elif form.contact_channel not in ("", "email") and not form.phone and "phone" not in errors:
        errors["phone"] = N_("Please give a phone number to be reached this way.")
    if not email_required and not form.email and not form.phone and "phone" not in errors:
        errors["phone"] = N_("Please give a phone number or an e-mail address.")
    form.interpreter_needed = bool(single(data, "interpreter_needed"))
    form.interpreter_language = single(data, "interpreter_language")
    if form.interpreter_needed and form.interpreter_language not in LANGUAGES:
        errors["interpreter_language"] = N_("Please choose the language for the interpreter.")
    if not form.interpreter_needed:
        form.interpreter_language = ""


def _parse_guardian(data: dict[str, Any], form: ParticipantForm, *, with_consent: bool) -> None:
    """A person under 18 takes part only with a guardian recorded who agreed."""
    errors = form.errors
    form.guardian_name = clean_text(single(data, "guardian_name"), max_length=None)
    form.guardian_relation = single(data, "guardian_relation")
    form.guardian_phone = clean_text(single(data, "guardian_phone"), max_length=None)
    form.guardian_email = clean_text(single(data, "guardian_email"), max_length=None).lower()
    if not form.guardian_name:
        errors["guardian_name"] = N_("Under 18, please give the name of a parent or guardian.")
    if form.guardian_relation not in GUARDIAN_RELATIONS:
        errors["guardian_relation"] = N_("Please choose one of the options.")
    if form.guardian_phone and len(form.guardian_phone) <= phones.PHONE_MAX:
        form.guardian_phone_e164 = phones.parse(ascii_digits(form.guardian_phone)) or ""
        if not form.guardian_phone_e164:
            errors["guardian_phone"] = PHONE_ERROR
    if form.guardian_email and not is_email(form.guardian_email):
        errors["guardian_email"] = EMAIL_ERROR
    if not form.guardian_phone and not form.guardian_email:
        errors["guardian_phone"] = N_("Please give the guardian's phone number or e-mail address.")
    for name in ("guardian_name", "guardian_phone", "guardian_email"):
        if len(getattr(form, name)) > MAX_LENGTHS[name]:
            errors[name] = TOO_LONG
    if with_consent:
        form.consent_guardian = bool(single(data, "consent_guardian"))
        if not form.consent_guardian:
            errors["consent_guardian"] = N_(
                "Under 18, a parent or guardian has to agree before we look for a partner."
            )


def form_from_person(person: Any, place_name: str) -> ParticipantForm:
    """The form filled in with a stored person (to edit or correct it)."""
    return ParticipantForm(
        role=person.role,
        first_name=person.first_name,
        last_name=person.last_name or "",
        email=person.email or "",
        place=place_name,
        languages=[(spoken.language, spoken.level) for spoken in person.languages],
        learning=list(person.learning),
        interests=list(person.interests),
        help_topics=list(person.help_topics),
        slots=list(person.slots),
        online_ok=person.online_ok,
        needs_step_free=person.needs_step_free,
        gender=person.gender or "",
        partner_wish=person.partner_genders[0] if person.partner_genders else "any",
        birth_year=str(person.birth_year),
        capacity=str(person.capacity),
        about_me=person.about_me or "",
        phone=phones.national(person.phone),
        phone_e164=person.phone or "",
        contact_channel=person.contact_channel or "",
        interpreter_needed=bool(person.interpreter_language),
        interpreter_language=person.interpreter_language or "",
        guardian_name=person.guardian_name or "",
        guardian_relation=person.guardian_relation or "",
        guardian_phone=phones.national(person.guardian_phone),
        guardian_phone_e164=person.guardian_phone or "",
        guardian_email=person.guardian_email or "",
    )


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit as 0-9: Arabic-Indic (٠-٩) and Persian (۰-۹)
    digits, as phones in those languages type them, become the digits stored."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def is_solar_hijri_year(text: str, this_year: int) -> bool:
    """A year a person alive today can have been born in, counted in the Solar Hijri
    calendar (1279 is Gregorian 1900). No such number is a valid Gregorian birth year,
    so reading it this way never changes an answer that was right as it was."""
    return (
        text.isascii()
        and text.isdecimal()
        and len(text) == 4
        and 1900 - SOLAR_HIJRI_OFFSET <= int(text) <= this_year - SOLAR_HIJRI_OFFSET
    )


def _choices(
    data: dict[str, Any],
    key: str,
    allowed: dict[str, str] | tuple[str, ...],
    errors: dict[str, str],
) -> list[str]:
    chosen = list(dict.fromkeys(values(data, key)))  # unique, in the order given
    if any(choice not in allowed for choice in chosen):
        errors[key] = N_("Please choose from the list.")
        return [choice for choice in chosen if choice in allowed]
    return chosen
