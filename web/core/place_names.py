"""Place names as people type them: in any letter case, spelling or script.

Kept apart from ``web.places`` (the gazetteer, distances, regions), which loads numpy and
GeoNames: the sign-up pages need only these, and the gazetteer only for a name they do
not already know (``gazetteer_name``).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from web.core.i18n import N_

# Letters that Arabic and Persian keyboards write differently for the same name
# ("كاسل" and "کاسل" are both Kassel), and the joiners that do not change a name.
_SAME_LETTER = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ـ": None, "\u200c": None})


def name_key(name: str) -> str:
    """What two spellings of a place name share when they name the same place."""
    text = unicodedata.normalize("NFKC", name).translate(_SAME_LETTER).casefold()
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _names_by_key() -> dict[str, str]:
    """Every name a German place is known by → its gazetteer name. Main names win over
    alternate names ("Kasel" is a village, not Kassel's old spelling); among places of
    the same name, the most populous."""
    from web.core.places import gazetteer  # the heavy part, only when a name is not known

    names: dict[str, str] = {}
    for place in gazetteer():  # largest first
        names.setdefault(name_key(place.name), place.name)
    for place in gazetteer():
        for other in place.alternate_names:
            names.setdefault(name_key(other), place.name)
    return names


def gazetteer_name(typed: str) -> str | None:
    """The gazetteer's name of the place a person typed in any script or spelling that
    GeoNames knows ("Кассель", "كاسل", "kassel" → "Kassel"); None if it knows none.

    The first call reads the gazetteer unless ``warm_up`` has; only a name
    that is not a served place as typed gets here."""
    with _loading:
        index = _names_by_key()
    return index.get(name_key(typed))


# One load per process: a sign-up arriving while the warm-up reads the file waits for it
# instead of reading the gazetteer a second time.
_loading = threading.Lock()


def warm_up() -> None:
    """Read the gazetteer's name index now (started in a thread when the app starts), so that
    the first town typed in another script does not hold up a batch of sign-ups."""
    with _loading:
        _names_by_key()


def spelled_alike(typed: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` that ``typed`` spells but for case and letter forms
    ("kassel" → "Kassel"): found without reading the gazetteer."""
    wanted = name_key(typed)
    return next((name for name in names if name_key(name) == wanted), None)


def is_served(typed: str, served_names: list[str]) -> bool:
    """Whether ``typed`` names one of ``served_names`` as typed or by another name."""
    return (
        typed in served_names
        or spelled_alike(typed, served_names) is not None
        or gazetteer_name(typed) in served_names
    )


def in_latin_letters(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def unknown_place_message(typed: str) -> str:
    """What to tell someone whose town is not one Tandem serves: a name typed in another
    script that the gazetteer does not know is best written again in Latin letters."""
    if typed and not in_latin_letters(typed):
        return N_(
            "We could not find this place. Please write the name of your town or village "
            "in Latin letters, for example %(example_town)s."
        )
    return N_("Please choose your town or village from the list.")
