"""German wording a coordinator reads every day (issue 15 §3)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.builders import db, html, login, make_coordinator, make_participant, make_region
from tests.worlds import one_suggestion_each
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


def test_the_suggestions_page_explains_reject_and_rule_out(client, engine):
    one_suggestion_each(engine)
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/regions/kassel/suggestions"))
    hint = page.select_one('[data-hint="reject-or-rule-out"]').get_text()
    assert hint.startswith("„Vorschlag ablehnen“ braucht einen Grund, das Matching lernt daraus")
    assert "„Nie als Paar vorschlagen“ braucht keinen Grund" in hint
    assert "jederzeit mit „Wieder erlauben“ aufheben" in hint
    card = page.select_one("li.suggestion")
    assert card.select_one('[data-action="forbid"]').get_text() == "Nie als Paar vorschlagen"
    assert card.select_one("details.reject summary").get_text() == "Vorschlag ablehnen"


def test_the_review_queue_says_talk_first_and_call_requested_in_german(client, engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[kassel])
        make_participant(session, kassel, status="pending", first_name="Omar")
        make_participant(session, kassel, status="pending", first_name="Nour",
                         call_requested_at=datetime(2026, 5, 1, tzinfo=UTC))  # fmt: skip
    login(client, "alice@example.org")
    page = html(client.get("/coordinator/review"))
    buttons = [button.get_text() for button in page.select("article button")]
    assert "Vorher mit der Person sprechen" in buttons and "Erst mit ihnen sprechen" not in buttons
    assert page.select_one('[data-field="call"]').get_text() == "Anruf gewünscht"
    assert "Um einen Anruf gebeten" not in page.get_text()
    assert page.select_one("details.decline summary").get_text() == "Ablehnen …"
