"""The engine's structured reasons as sentences in a reader's language.

The engine (``matching``) returns codes and facts, never prose; this module
is the one place that turns them into words, for coordinators (everything)
and for the partners' e-mails (``redacted``: nothing about waiting time,
pins or broken rules).
"""

from __future__ import annotations

from typing import Any

from babel.lists import format_list

from web.core.i18n import N_, translations
from web.core.vocabulary import DAY_LABELS, DAYPART_LABELS, HELP_TOPICS, INTERESTS, LANGUAGES

RULE_LABELS = {
    "forbidden": N_("the pair was ruled out before"),
    "language": N_("no common language at the minimum level"),
    "slots": N_("no common time in the week"),
    "distance": N_("too far apart"),
    "gender": N_("a partner wish does not fit"),
    "age": N_("a minor needs a vetted local"),
}
PRIVATE_CODES = ("waiting_days", "pinned", "overrides")  # never in e-mails to partners


def describe(
    reasons: list[dict[str, Any]],
    *,
    locale: str,
    local_name: str,
    newcomer_name: str,
    redacted: bool = False,
    reader: str | None = None,
    local_town: str = "",
    newcomer_town: str = "",
) -> list[str]:
    """One sentence per reason, in ``locale``. ``reader`` ("local" or "newcomer"): the
    sentences speak to that partner as "you" and name only the other one (a partner's
    e-mail); None: both by name (a coordinator's page). Two people in one town are "both
    in Kassel", not "0.0 km apart"."""
    catalogue = translations(locale)
    _ = catalogue.gettext

    def words(keys: list[str], labels: dict[str, str]) -> str:
        return format_list([_(labels.get(key, key)) for key in keys], locale=locale)

    def slot(key: str) -> str:
        day, _sep, part = key.partition("_")
        return f"{_(DAY_LABELS.get(day, day))} {_(DAYPART_LABELS.get(part, part))}"

    sentences = []
    for reason in reasons:
        code, items = reason.get("code"), reason.get("items", [])
        if redacted and code in PRIVATE_CODES:
            continue
        if code == "shared_interests":
            text = _("Both like %(items)s") % {"items": words(items, INTERESTS)}
        elif code == "common_language":
            text = _("Both speak %(languages)s at level %(level)s or better") % {
                "languages": words(items, LANGUAGES),
                "level": reason.get("level", ""),
            }
        elif code == "practice_language":
            learner_side = "newcomer" if reason.get("for") == "newcomer" else "local"
            learner, speaker = (
                (newcomer_name, local_name)
                if learner_side == "newcomer"
                else (local_name, newcomer_name)
            )
            languages = words(items, LANGUAGES)
            if reader is None:
                text = _(
                    "%(learner)s wants to practise %(languages)s, which %(speaker)s speaks"
                ) % {"learner": learner, "languages": languages, "speaker": speaker}
            elif reader == learner_side:
                text = _("You want to practise %(languages)s, which %(partner)s speaks") % {
                    "languages": languages,
                    "partner": speaker,
                }
            else:
                text = _("%(partner)s wants to practise %(languages)s, which you speak") % {
                    "partner": learner,
                    "languages": languages,
                }
        elif code == "offers_needs":
            topics = words(items, HELP_TOPICS)
            if reader == "local":
                text = _("You can help with %(items)s") % {"items": topics}
            elif reader == "newcomer":
                text = _("%(partner)s can help you with %(items)s") % {
                    "partner": local_name,
                    "items": topics,
                }
            else:
                text = _("%(local)s can help with %(items)s") % {
                    "local": local_name,
                    "items": topics,
                }
        elif code == "slots":
            text = _("Both have time on %(slots)s") % {
                "slots": format_list([slot(key) for key in items], locale=locale)
            }
        elif code == "distance_km":
            km = reason.get("value")
            near = isinstance(km, int | float) and float(km) < 0.5
            # "0.0 km apart" reads like a mistake: two people in one town are in one town.
            if near and local_town and local_town == newcomer_town:
                text = _("Both in %(town)s") % {"town": local_town}
            elif near:
                text = _("Both live in the same place")
            else:
                text = _("%(km)s km apart") % {"km": km}
        elif code == "online":
            text = _("You can both meet online") if reader else _("They can meet online")
        elif code == "waiting_days":
            days = int(reason.get("value", 0))
            text = catalogue.ngettext("%(num)d day waiting", "%(num)d days waiting", days) % {
                "num": days
            }
        elif code == "pinned":
            text = _("Pinned by a coordinator")
        elif code == "overrides":
            text = _("Breaks these rules: %(rules)s") % {"rules": words(items, RULE_LABELS)}
        else:
            continue
        sentences.append(text)
    return sentences


def rule_label(code: str, *, locale: str) -> str:
    """A hard rule (or ``blocked_by`` code) in words."""
    labels = {
        **RULE_LABELS,
        "no_locals": N_("no locals in the region yet"),
        "min_score": N_("every possible pair scores below the minimum"),
        "capacity": N_("every fitting local is fully booked"),
        "competition": N_("the fitting locals went to others this time"),
    }
    return translations(locale).gettext(labels.get(code, code))
