"""German wording a coordinator reads every day (issue 15 §3)."""

from __future__ import annotations

from web.core.i18n import translations
from web.core.reasons import describe


def explain(km: object) -> str:
    reasons = [{"code": "distance_km", "value": km}]
    return describe(reasons, locale="de", local_name="Lena", newcomer_name="Nour")[0]


def test_two_people_in_one_town_are_not_zero_kilometres_apart():
    assert explain(0.0) == "Beide wohnen am selben Ort"
    assert explain(4.0) == "4.0 km voneinander entfernt"
    assert explain("?") == "? km voneinander entfernt"


def test_reject_and_rule_out_say_what_they_do():
    de = translations("de").gettext
    assert de("Reject") != de("Rule out")
    assert "Vorschlag" in de("Reject") and "Nie" in de("Rule out")
    assert de("Talk to them first") == "Vorher mit der Person sprechen"
    assert de("Asked for a call") == "Bittet um einen Rückruf"
    weights = de(
        "Scores under different weights are not directly comparable; the number of pairs and"
        " who waits are."
    )
    assert weights.endswith("sehr wohl.") and "wartet schon" not in weights
