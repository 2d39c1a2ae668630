"""The coordinator's decisions: confirm, reject, pin, forbid, pair by hand, confirm several."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.builders import (
    COMPONENTS,
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_local,
    make_newcomer,
    make_region,
    make_suggestion,
)
from tests.worlds import one_suggestion_each
from web.core.models import (
    AuditLog,
    Coordinator,
    OutboxMessage,
    PairRule,
    Participant,
    Region,
    Tandem,
    utcnow,
)
from web.suggestions import suggestions

SUGGESTIONS = "/coordinator/regions/kassel/suggestions"


def post(client, path: str, data: dict[str, Any] | None = None, *, page: str = SUGGESTIONS):  # type: ignore[no-untyped-def]
    token = csrf_token(client, page + "?lang=en")  # English from here on (a cookie)
    return client.post(path, data={"_csrf_token": token, **(data or {})}, follow_redirects=False)


def tandem_row(engine, public_id: str) -> Tandem | None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(select(Tandem).where(Tandem.public_id == public_id)).first()


def person(engine, public_id: str) -> Participant:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(select(Participant).where(Participant.public_id == public_id)).one()


def actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# --- confirm -------------------------------------------------------------------------------------


def test_it_confirms_a_suggestion_and_proposes_it_to_both(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{SUGGESTIONS}?flash=confirmed")
    tandem = tandem_row(engine, ids["ours"])
    assert tandem.status == "proposed" and tandem.decided_at is not None
    assert tandem.proposed_at is not None and tandem.answer_due_at is not None
    assert person(engine, ids["lena"]).open_tandems == 1
    assert person(engine, ids["nour"]).open_tandems == 1
    assert "tandem.confirm" in actions(engine)
    with db(engine) as session:
        recipients = set(session.scalars(select(OutboxMessage.participant_id)))
    assert recipients == {tandem.local_id, tandem.newcomer_id}
    page = html(client.get(response.headers["location"]))
    assert page.select_one(".flash") is not None
    assert page.select(f'[data-suggestion="{ids["ours"]}"]') == []


def test_it_keeps_the_filters_after_a_decision(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    response = post(
        client,
        f"/coordinator/suggestions/{ids['ours']}/confirm",
        {"back": "sort=waiting&language=ar&evil=https://example.com"},
    )
    location = response.headers["location"]
    assert location.startswith(SUGGESTIONS + "?")
    assert "sort=waiting" in location and "language=ar" in location
    assert "evil" not in location and "example.com" not in location


def test_it_removes_the_newcomers_other_suggestions_on_confirm(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        nour = session.scalars(select(Participant).where(Participant.public_id == ids["nour"]))
        other = make_suggestion(session, kassel, make_local(session, kassel), nour.one())
        other_id = other.public_id
    login(client, "alice@example.org")
    post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    assert tandem_row(engine, other_id) is None


def test_a_second_confirm_is_already_taken_not_an_error(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    again = post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    assert again.status_code == 409
    assert "already" in html(again).select_one("[role=alert]").text
    assert person(engine, ids["lena"]).open_tandems == 1


def test_a_full_local_cannot_be_confirmed_twice(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        lena = session.scalars(select(Participant).where(Participant.public_id == ids["lena"]))
        second = make_suggestion(session, kassel, lena.one(), make_newcomer(session, kassel))
        second_id = second.public_id
    login(client, "alice@example.org")
    assert post(client, f"/coordinator/suggestions/{ids['ours']}/confirm").status_code == 303
    response = post(client, f"/coordinator/suggestions/{second_id}/confirm")
    assert response.status_code == 409
    assert tandem_row(engine, second_id).status == "suggested"
    assert person(engine, ids["lena"]).open_tandems == 1


def test_a_paused_newcomer_cannot_be_confirmed(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        nour = session.scalars(select(Participant).where(Participant.public_id == ids["nour"]))
        nour.one().status = "paused"
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    assert response.status_code == 409
    assert tandem_row(engine, ids["ours"]).status == "suggested"
    assert person(engine, ids["lena"]).open_tandems == 0


# --- reject --------------------------------------------------------------------------------------


def test_it_rejects_with_a_reason_and_keeps_the_components(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    response = post(
        client,
        f"/coordinator/suggestions/{ids['ours']}/reject",
        {"reason": "distance", "note": "  Lena moves\u202e away soon  "},
    )
    assert response.status_code == 303
    assert "flash=rejected" in response.headers["location"]
    tandem = tandem_row(engine, ids["ours"])
    assert tandem.status == "rejected" and tandem.reject_reason == "distance"
    assert tandem.reject_note == "Lena moves away soon"
    assert tandem.components == COMPONENTS  # kept for learning weights
    assert "tandem.reject" in actions(engine)
    assert person(engine, ids["lena"]).open_tandems == 0


def test_it_refuses_an_unknown_reject_reason(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['ours']}/reject", {"reason": "bored"})
    assert response.status_code == 400
    assert html(response).select_one("[role=alert]").text.strip()
    assert tandem_row(engine, ids["ours"]).status == "suggested"
    assert "tandem.reject" not in actions(engine)


def test_a_rejected_pair_is_ruled_out_for_a_hand_made_pair(engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        alice = session.scalars(select(Coordinator).where(Coordinator.id == 1)).one()
        tandem = session.scalars(select(Tandem).where(Tandem.public_id == ids["ours"])).one()
        suggestions.reject(session, tandem, alice, reason="personal", note="", now=utcnow())
        check = suggestions.check_pair(
            session,
            session.get(Region, tandem.region_id),
            tandem.local,
            tandem.newcomer,
            now=utcnow(),
        )
    assert "forbidden" in check.broken


# --- pin and forbid ------------------------------------------------------------------------------


def rules(engine) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        found = session.execute(select(PairRule.local_id, PairRule.newcomer_id, PairRule.kind))
        by_id = dict(session.execute(select(Participant.id, Participant.public_id)).all())
        return [(by_id[local], by_id[newcomer], kind) for local, newcomer, kind in found]


def test_it_pins_and_forbids_a_pair_one_replacing_the_other(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    pair = {"local": ids["lena"], "newcomer": ids["nour"]}
    response = post(client, "/coordinator/regions/kassel/pairs/pin", pair)
    assert response.status_code == 303 and "flash=pinned" in response.headers["location"]
    assert rules(engine) == [(ids["lena"], ids["nour"], "pin")]
    card = html(client.get(SUGGESTIONS)).select_one(f'[data-suggestion="{ids["ours"]}"]')
    assert card.select_one('[data-rule="pin"]') is not None

    response = post(client, "/coordinator/regions/kassel/pairs/forbid", pair)
    assert "flash=forbidden" in response.headers["location"]
    assert rules(engine) == [(ids["lena"], ids["nour"], "forbid")]

    post(client, "/coordinator/regions/kassel/pairs/unforbid", pair)
    assert rules(engine) == []
    assert actions(engine)[-3:] == ["pair.pin", "pair.forbid", "pair.unforbid"]


def test_pinning_a_newcomer_again_moves_the_pin(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        tom = make_local(session, kassel, first_name="Tom").public_id
    login(client, "alice@example.org")
    lena_nour = {"local": ids["lena"], "newcomer": ids["nour"]}
    post(client, "/coordinator/regions/kassel/pairs/pin", lena_nour)
    post(client, "/coordinator/regions/kassel/pairs/pin", {"local": tom, "newcomer": ids["nour"]})
    assert rules(engine) == [(tom, ids["nour"], "pin")]


def test_it_refuses_a_pin_beyond_the_locals_free_places(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        other = make_newcomer(session, kassel).public_id
    login(client, "alice@example.org")
    lena_nour = {"local": ids["lena"], "newcomer": ids["nour"]}
    post(client, "/coordinator/regions/kassel/pairs/pin", lena_nour)
    response = post(
        client, "/coordinator/regions/kassel/pairs/pin", {"local": ids["lena"], "newcomer": other}
    )
    assert response.status_code == 409
    assert rules(engine) == [(ids["lena"], ids["nour"], "pin")]


def test_a_pair_rule_needs_a_local_and_a_newcomer(client, engine):
    ids = one_suggestion_each(engine)
    login(client, "alice@example.org")
    swapped = {"local": ids["nour"], "newcomer": ids["lena"]}
    assert post(client, "/coordinator/regions/kassel/pairs/pin", swapped).status_code == 400
    missing = {"local": ids["lena"]}
    assert post(client, "/coordinator/regions/kassel/pairs/forbid", missing).status_code == 400
    assert post(client, "/coordinator/regions/kassel/pairs/adopt", swapped).status_code == 404
    assert rules(engine) == []


# --- pairing by hand -----------------------------------------------------------------------------


NEW_PAIR = "/coordinator/regions/kassel/pairs/new"


def test_it_pairs_two_people_by_hand(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        mia = make_local(session, kassel, first_name="Mia", slots=["tue_evening"]).public_id
    login(client, "alice@example.org")
    # Nothing typed: no list to scroll. Typed: the people who can be paired, to pick from.
    empty = html(client.get(NEW_PAIR))
    assert empty.select("input[type=radio]") == []
    form = html(client.get(NEW_PAIR + "?local_q=MIA&newcomer_q=nou"))
    assert [r["value"] for r in form.select("input[name=local][type=radio]")] == [mia]
    assert [r["value"] for r in form.select("input[name=newcomer][type=radio]")] == [ids["nour"]]
    # Only one found on each side: already picked.
    assert all(r.has_attr("checked") for r in form.select("input[type=radio]"))
    response = post(client, NEW_PAIR, {"local": mia, "newcomer": ids["nour"]}, page=NEW_PAIR)
    assert response.status_code == 303
    with db(engine) as session:
        made = session.scalars(select(Tandem).where(Tandem.manual)).one()
        assert made.status == "suggested" and made.pinned
        assert made.local.public_id == mia and made.newcomer.public_id == ids["nour"]
        assert made.components and any(r["code"] == "pinned" for r in made.reasons)
    assert response.headers["location"].endswith(f"#s-{made.public_id}")
    assert "tandem.manual_pair" in actions(engine)
    card = html(client.get(SUGGESTIONS)).select_one(f'[data-suggestion="{made.public_id}"]')
    assert card is not None and "Pinned by a coordinator" in card.text


def test_a_hand_made_pair_that_breaks_rules_needs_a_tick(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        far = make_local(
            session, kassel, first_name="Far", languages={"ru": "native"}, slots=["mon_morning"]
        ).public_id
    login(client, "alice@example.org")
    pair = {"local": far, "newcomer": ids["nour"]}
    warning = post(client, NEW_PAIR, pair, page=NEW_PAIR)
    assert warning.status_code == 200
    broken = [li.text for li in html(warning).select(".broken li")]
    assert broken == ["no common language at the minimum level", "no common time in the week"]
    assert html(warning).select_one("input[name=accept_broken]") is not None
    with db(engine) as session:
        assert session.scalars(select(Tandem).where(Tandem.manual)).first() is None

    response = post(client, NEW_PAIR, {**pair, "accept_broken": "1"}, page=NEW_PAIR)
    assert response.status_code == 303
    with db(engine) as session:
        made = session.scalars(select(Tandem).where(Tandem.manual)).one()
        overrides = [r for r in made.reasons if r["code"] == "overrides"]
        assert overrides == [{"code": "overrides", "items": ["language", "slots"]}]


def test_manual_pair_returns_the_broken_rules(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        local = make_local(session, kassel, slots=["sun_evening"], online_ok=False)
        newcomer = make_newcomer(session, kassel, slots=["tue_evening"], partner_genders=["female"])
        tandem, broken = suggestions.manual_pair(
            session, kassel, local, newcomer, alice, now=utcnow()
        )
        assert broken == ["slots", "gender"]
        assert tandem.manual and tandem.pinned and tandem.status == "suggested"
        assert 0 <= tandem.score <= 1


def test_a_newcomer_with_a_proposal_cannot_be_paired_by_hand(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        mia = make_local(session, kassel, first_name="Mia").public_id
    login(client, "alice@example.org")
    post(client, f"/coordinator/suggestions/{ids['ours']}/confirm")
    response = post(client, NEW_PAIR, {"local": mia, "newcomer": ids["nour"]}, page=NEW_PAIR)
    assert response.status_code == 409
    assert html(response).select_one("[role=alert]").text.strip()
    empty = post(client, NEW_PAIR, {"local": "", "newcomer": ""}, page=NEW_PAIR)
    assert empty.status_code == 400


# --- several at once -----------------------------------------------------------------------------


def test_it_confirms_several_and_reports_each(client, engine):
    ids = one_suggestion_each(engine)
    with db(engine) as session:
        kassel = session.scalars(select(Region).where(Region.slug == "kassel")).one()
        nour = session.scalars(
            select(Participant).where(Participant.public_id == ids["nour"])
        ).one()
        rival = make_suggestion(session, kassel, make_local(session, kassel), nour).public_id
        pair = make_suggestion(
            session, kassel, make_local(session, kassel), make_newcomer(session, kassel)
        ).public_id
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS)
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "tandem": [ids["ours"], rival, pair]},
    )
    assert response.status_code == 200
    results = {
        item["data-suggestion"]: item["data-result"]
        for item in html(response).select("[data-suggestion]")
    }
    assert results == {ids["ours"]: "confirmed", rival: "taken", pair: "confirmed"}
    assert tandem_row(engine, pair).status == "proposed"
    assert tandem_row(engine, rival) is None  # the newcomer's other suggestion went
    assert person(engine, ids["nour"]).open_tandems == 1


def test_a_suggestion_that_is_gone_answers_kindly(client, engine):
    one_suggestion_each(engine)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{'0' * 32}/confirm")
    assert response.status_code == 404
    assert "no longer there" in html(response).select_one("[role=alert]").text
