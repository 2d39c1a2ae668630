"""Closed vocabularies shared by forms, models, demo data and the engine input.

Stored values are keys; pages show their translations, so an Arabic and a
German sign-up match on the same interest.
"""

from __future__ import annotations

from web.core.i18n import N_

ROLES = ("local", "newcomer")
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
GENDERS = ("female", "male", "diverse")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYPARTS = ("morning", "afternoon", "evening")
SLOTS = tuple(f"{day}_{part}" for day in DAYS for part in DAYPARTS)

PARTICIPANT_STATUSES = (
    "unverified",  # signed up, e-mail not yet confirmed
    "pending",  # verified, waiting for a coordinator's approval
    "active",  # approved and available for matching
    "paused",  # on holiday; not matched until resumed
    "withdrawn",  # left the programme or withdrew consent
    "declined",  # a coordinator declined the sign-up
)
TANDEM_STATUSES = (
    "suggested",  # proposed by the engine (or paired by hand), waiting for a coordinator
    "proposed",  # a coordinator said yes: a proposal, waiting for both partners' answers
    "active",  # both partners accepted; contact details exchanged
    "paused",  # on hold (holidays, illness); still the partners' tandem
    "ended",
    "rejected",  # a coordinator said no
    "declined",  # a partner said no
    "expired",  # a partner did not answer in time
)
OPEN_TANDEM_STATUSES = ("proposed", "active", "paused")  # a newcomer is in at most one
ANSWERS = ("accepted", "declined")
PAIR_RULE_KINDS = ("pin", "forbid")
COORDINATOR_ROLES = ("admin", "coordinator")
CONSENT_PURPOSES = ("matching", "contact_sharing")
TOKEN_PURPOSES = ("verify", "profile", "answer", "checkin")
CHECKIN_KINDS = ("fit_check", "regular")
MEETING_FREQUENCIES = {
    # Translators: answers to "How often did you meet?" in a check-in on a tandem (local and
    # newcomer).
    "weekly": N_("About every week"),
    "fortnightly": N_("About every two weeks"),
    "monthly": N_("About once a month"),
    "rarely": N_("Rarely or not yet"),
}
PROBLEM_KINDS = {
    # Translators: a participant reports a problem with their tandem partner (the other person of
    # their language and everyday-life tandem).
    "unreachable": N_("My partner does not answer"),
    "not_ok": N_("Something is not OK"),
}
EVENT_KINDS = (
    "signed_up",
    "verified",
    "proposed",
    "started",
    "ended",
    "declined",
    "expired",
    "erased",
)
RUN_STATUSES = ("running", "done", "failed")
ACTOR_TYPES = ("coordinator", "participant", "system")

END_REASONS = {
    # Translators: reasons why a tandem (a local and a newcomer meeting regularly) ended; chosen by
    # a coordinator or a partner.
    "goal_reached": N_("Goal reached"),
    "drifted_apart": N_("Drifted apart"),
    "moved_away": N_("Moved away"),
    "no_time": N_("No time"),
    # Translators: a reason a tandem ended: the two partners did not get on (a disagreement), not a
    # war.
    "conflict": N_("Conflict"),
    # Translators: a reason a tandem ended: the tandem partner could no longer be reached.
    "partner_unreachable": N_("Partner unreachable"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}
REJECT_REASONS = {
    "languages": N_("Languages do not fit"),
    "distance": N_("Too far apart"),
    "availability": N_("Times do not fit"),
    # Translators: a coordinator's reason to reject a suggested pair: the two people would not get
    # on well.
    "personal": N_("Personal fit"),
    "known_issue": N_("Known issue with one of them"),
    # Translators: the last reason in a list: any other reason ("Sonstiges").
    "other": N_("Other"),
}

# Languages offered in forms (ISO 639-1; "prs" Dari and "ckb"/"kmr" Kurdish have no
# 639-1 code, so Dari is written "fa" like Farsi and Kurdish "ku").
LANGUAGES = {
    "de": N_("German"),
    "en": N_("English"),
    "ar": N_("Arabic"),
    # Translators: a language a person speaks: Persian as spoken in Iran (Farsi) and in Afghanistan
    # (Dari), one choice for both.
    "fa": N_("Persian (Farsi/Dari)"),
    "uk": N_("Ukrainian"),
    "ru": N_("Russian"),
    "tr": N_("Turkish"),
    "ti": N_("Tigrinya"),
    "ku": N_("Kurdish"),
    "fr": N_("French"),
    "es": N_("Spanish"),
    "ps": N_("Pashto"),
    "so": N_("Somali"),
    "sq": N_("Albanian"),
    "pl": N_("Polish"),
    "it": N_("Italian"),
}

INTERESTS = {
    "football": N_("Football"),
    # Translators: an interest: running as a sport (jogging), not "in progress".
    "running": N_("Running"),
    "swimming": N_("Swimming"),
    "cycling": N_("Cycling"),
    "hiking": N_("Hiking and walks"),
    # Translators: an interest: exercise, the gym.
    "fitness": N_("Fitness"),
    "cooking": N_("Cooking"),
    "baking": N_("Baking"),
    "gardening": N_("Gardening"),
    "music": N_("Music"),
    "singing": N_("Singing"),
    "dancing": N_("Dancing"),
    "painting": N_("Painting and drawing"),
    "crafts": N_("Crafts and sewing"),
    "photography": N_("Photography"),
    # Translators: an interest: reading books.
    "reading": N_("Reading"),
    "films": N_("Films and series"),
    "theatre": N_("Theatre"),
    "museums": N_("Museums and history"),
    "board_games": N_("Board and card games"),
    "chess": N_("Chess"),
    "computers": N_("Computers and technology"),
    "repairs": N_("Repairs and DIY"),
    "nature": N_("Nature and animals"),
    "travel": N_("Travel"),
    "languages": N_("Learning languages"),
    # Translators: an interest: unpaid work for a club or a good cause.
    "volunteering": N_("Volunteering"),
    "children": N_("Activities with children"),
    "fashion": N_("Fashion"),
    # Translators: an interest: cars and motorbikes (vehicles with engines, not bicycles; cycling is
    # its own interest). The same interest is matched across languages.
    "cars": N_("Cars and motorbikes"),
}

HELP_TOPICS = {
    # Translators: what a local can help with, or what a newcomer would like help with.
    "language_practice": N_("Practising German"),
    "paperwork": N_("Paperwork and appointments"),
    "job": N_("Job and training"),
    "school": N_("School and homework"),
    "leisure": N_("Leisure and sport"),
    "orientation": N_("Getting to know the town"),
    "housing": N_("Housing search"),
    "health_system": N_("Finding doctors and services"),
    "digital": N_("Phone, computer and online services"),
}

LEVEL_LABELS = {
    "A1": N_("A1 – a few words and phrases"),
    "A2": N_("A2 – simple everyday sentences"),
    "B1": N_("B1 – everyday conversations"),
    "B2": N_("B2 – fluent on most topics"),
    "C1": N_("C1 – very good, also at work"),
    "C2": N_("C2 – almost like a native speaker"),
    # Translators: a language level: the person's mother tongue.
    "native": N_("First language"),
}
DAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
DAYPART_LABELS = {
    # Translators: a part of the day when a person could meet their tandem partner.
    "morning": N_("Morning"),
    "afternoon": N_("Afternoon"),
    "evening": N_("Evening"),
}

# --- meeting places (issue 17) ----------------------------------------------------------------
MEETING_PLACE_KINDS = {
    # Translators: kinds of place where a tandem (a local and a newcomer) can meet.
    "library": N_("Library"),
    # Translators: a kind of meeting place: a coffee house.
    "cafe": N_("Café"),
    "community_centre": N_("Community centre"),
    # Translators: a kind of meeting place: the rooms of a club or association (Verein).
    "association": N_("Club or association"),
    "park": N_("Park"),
    # Translators: a kind of meeting place: a video-call room on the internet.
    "online": N_("Online (video call)"),
    # Translators: the last kind of meeting place in a list: any other kind.
    "other": N_("Other place"),
}
# The languages a meeting place can describe itself in (the site's languages; German required).
DESCRIPTION_LANGUAGES = ("de", "en", "ar", "fa", "uk", "ru", "tr")

# --- events (issue 17) ---------------------------------------------------------------------------
EVENT_AUDIENCES = {
    # Translators: who an event (a Stammtisch, a workshop, a trip) is for.
    "everyone": N_("Everyone"),
    "newcomers": N_("Newcomers"),
    "locals": N_("Locals"),
    "tandems": N_("Tandems"),
}
EVENT_REPEATS = {
    # Translators: how often an event takes place.
    "once": N_("Once"),
    "weekly": N_("Every week on the ticked days"),
    "monthly": N_("Every month on the same weekday (for example every first Thursday)"),
}
