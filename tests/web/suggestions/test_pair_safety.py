"""Rules no decision overrides (issue 12 §8): a newcomer under 18 only ever meets a local
whose police certificate is recorded — not by the engine, a pin, a pair made by hand or an
old suggestion confirmed — and a pair a coordinator ruled out or a partner declined is
never confirmed, alone or with others."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

import web.suggestions.suggestions
from tests.builders import RUN_DAY as TODAY
from tests.builders import (
    csrf_token,
    db,
    html,
    login,
    make_coordinator,
    make_local,
    make_newcomer,
    make_region,
    make_suggestion,
    run_now,
    suggestions,
)
from web.core.models import (
    Coordinator,
    OutboxMessage,
    PairRule,
    Participant,
    Region,
    Tandem,
    Vetting,
)

SUGGESTIONS = "/coordinator/regions/kassel/suggestions"
NEW_PAIR = "/coordinator/regions/kassel/pairs/new"


def post(client, path: str, data: dict[str, Any] | None = None, *, page: str = SUGGESTIONS):  # type: ignore[no-untyped-def]
    token = csrf_token(client, page + "?lang=en")  # English from here on (a cookie)
    return client.post(path, data={"_csrf_token": token, **(data or {})}, follow_redirects=False)


def tandem_row(engine, public_id: str) -> Tandem | None:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(select(Tandem).where(Tandem.public_id == public_id)).first()


CHILD = TODAY.year - 15  # a birth year under 18


def kassel(engine, *, child: bool = True, vetted: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Alice coordinates Kassel; Lena (a local, vetted or not) and Nour (a newcomer, a child
    or not) would make a good pair and have a suggestion together."""
    with db(engine) as session:
        region = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[region])
        lena = make_local(session, region, first_name="Lena")
        nour = make_newcomer(
            session,
            region,
            first_name="Nour",
            birth_year=CHILD if child else 1990,
            # A child takes part only with a guardian recorded (issue 16).
            guardian_name="Samira" if child else None,
            guardian_relation="parent" if child else None,
        )
        if vetted:
            session.add(Vetting(local_id=lena.id, certificate_date=TODAY, seen_on=TODAY))
        suggestion = make_suggestion(session, region, lena, nour)
        return {
            "region": region.id,
            "alice": alice.id,
            "lena": lena.public_id,
            "nour": nour.public_id,
            "lena_id": lena.id,
            "nour_id": nour.id,
            "suggestion": suggestion.public_id,
        }


def mails(engine) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalar(select(func.count(OutboxMessage.id))) or 0


def open_places(engine, public_id: str) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalars(
            select(Participant.open_tandems).where(Participant.public_id == public_id)
        ).one()


def pair_rules(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return list(session.scalars(select(PairRule.kind)))


def alert(response) -> str:  # type: ignore[no-untyped-def]
    return html(response).select_one("[role=alert]").text


# --- a newcomer under 18 and an unvetted local -----------------------------------------------


def test_the_engine_does_not_keep_a_pinned_child_with_an_unvetted_local(engine):
    ids = kassel(engine)
    with db(engine) as session:
        session.execute(Tandem.__table__.delete())  # type: ignore[attr-defined]
        session.add(
            PairRule(
                region_id=ids["region"],
                local_id=ids["lena_id"],
                newcomer_id=ids["nour_id"],
                kind="pin",  # a pin from before this rule held for pins
            )
        )
    run_now(engine, ids["region"], ids["alice"])
    pairs = {(t.local_id, t.newcomer_id) for t in suggestions(engine, ids["region"])}
    assert (ids["lena_id"], ids["nour_id"]) not in pairs


def test_a_child_cannot_be_pinned_to_an_unvetted_local(client, engine):
    ids = kassel(engine)
    login(client, "alice@example.org")
    response = post(
        client,
        "/coordinator/regions/kassel/pairs/pin",
        {"local": ids["lena"], "newcomer": ids["nour"]},
    )
    assert response.status_code == 409
    assert "under 18" in alert(response)
    assert pair_rules(engine) == []


def test_pair_by_hand_refuses_a_child_and_an_unvetted_local_even_when_ticked(client, engine):
    ids = kassel(engine)
    with db(engine) as session:
        session.execute(Tandem.__table__.delete())  # type: ignore[attr-defined]
    login(client, "alice@example.org")
    pair = {"local": ids["lena"], "newcomer": ids["nour"]}
    for data in (pair, {**pair, "accept_broken": "1"}):
        response = post(client, NEW_PAIR, data, page=NEW_PAIR)
        assert response.status_code == 409
        assert "police certificate" in alert(response)
        # No box to tick this rule away.
        assert html(response).select_one("input[name=accept_broken]") is None
    assert tandem_row(engine, ids["suggestion"]) is None
    with db(engine) as session:
        assert session.scalar(select(func.count(Tandem.id))) == 0


def test_pair_by_hand_still_lets_other_rules_be_overridden_with_a_warning(client, engine):
    ids = kassel(engine, vetted=True)
    with db(engine) as session:
        session.execute(Tandem.__table__.delete())  # type: ignore[attr-defined]
        lena = session.scalars(select(Participant).where(Participant.public_id == ids["lena"]))
        lena.one().slots = ["sun_evening"]  # no common time: a rule one may override
    login(client, "alice@example.org")
    pair = {"local": ids["lena"], "newcomer": ids["nour"]}
    warning = post(client, NEW_PAIR, pair, page=NEW_PAIR)
    assert warning.status_code == 200
    assert [li.text for li in html(warning).select(".broken li")] == ["no common time in the week"]
    created = post(client, NEW_PAIR, {**pair, "accept_broken": "1"}, page=NEW_PAIR)
    assert created.status_code == 303


def test_confirming_an_old_suggestion_of_a_child_and_an_unvetted_local_is_refused(client, engine):
    ids = kassel(engine)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['suggestion']}/confirm")
    assert response.status_code == 409
    assert "police certificate" in alert(response)
    assert tandem_row(engine, ids["suggestion"]).status == "suggested"
    assert (open_places(engine, ids["lena"]), open_places(engine, ids["nour"])) == (0, 0)
    assert mails(engine) == 0


def test_the_refusal_is_translated(client, engine):
    ids = kassel(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS + "?lang=de")
    response = client.post(
        f"/coordinator/suggestions/{ids['suggestion']}/confirm", data={"_csrf_token": token}
    )
    assert response.status_code == 409
    assert "Führungszeugnis" in alert(response)


def test_a_vetted_local_may_be_confirmed_with_a_child(client, engine):
    ids = kassel(engine, vetted=True)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['suggestion']}/confirm")
    assert response.status_code == 303
    assert tandem_row(engine, ids["suggestion"]).status == "proposed"
    assert mails(engine) == 2


# --- pairs ruled out by a coordinator or declined by a partner ---------------------------------


def test_ruling_a_pair_out_takes_its_card_off_the_page(client, engine):
    ids = kassel(engine, child=False)
    login(client, "alice@example.org")
    card = f'[data-suggestion="{ids["suggestion"]}"]'
    assert html(client.get(SUGGESTIONS)).select_one(card) is not None
    response = post(
        client,
        "/coordinator/regions/kassel/pairs/forbid",
        {"local": ids["lena"], "newcomer": ids["nour"]},
    )
    assert response.status_code == 303
    assert html(client.get(response.headers["location"])).select_one(card) is None
    assert tandem_row(engine, ids["suggestion"]) is None
    # The page left open in another tab: "Confirm" now sends nothing.
    stale = post(client, f"/coordinator/suggestions/{ids['suggestion']}/confirm")
    assert stale.status_code == 404
    assert mails(engine) == 0


def ban(engine, ids: dict) -> None:  # type: ignore[type-arg]
    """A ban that arrives while the suggestion still exists (a matching run that loaded its
    input before the ban stores the pair afterwards)."""
    with db(engine) as session:
        session.add(
            PairRule(
                region_id=ids["region"],
                local_id=ids["lena_id"],
                newcomer_id=ids["nour_id"],
                kind="forbid",
            )
        )


def test_a_ruled_out_pair_cannot_be_confirmed(client, engine):
    ids = kassel(engine, child=False)
    ban(engine, ids)
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['suggestion']}/confirm")
    assert response.status_code == 409
    assert "ruled out this pair" in alert(response)
    assert tandem_row(engine, ids["suggestion"]).status == "suggested"
    assert mails(engine) == 0


def test_a_declined_pair_cannot_be_confirmed_again(client, engine):
    ids = kassel(engine, child=False)
    with db(engine) as session:
        region = session.get(Region, ids["region"])
        lena = session.get(Participant, ids["lena_id"])
        nour = session.get(Participant, ids["nour_id"])
        make_suggestion(session, region, lena, nour, status="declined")
    login(client, "alice@example.org")
    response = post(client, f"/coordinator/suggestions/{ids['suggestion']}/confirm")
    assert response.status_code == 409
    assert "declined this pair" in alert(response)
    assert mails(engine) == 0


def test_confirm_selected_refuses_the_ruled_out_pair_and_confirms_the_rest(client, engine):
    ids = kassel(engine, child=False)
    ban(engine, ids)
    with db(engine) as session:
        region = session.get(Region, ids["region"])
        other = make_suggestion(
            session, region, make_local(session, region), make_newcomer(session, region)
        )
        other_id, other_people = other.public_id, {other.local_id, other.newcomer_id}
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS + "?lang=en")
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "tandem": [ids["suggestion"], other_id]},
    )
    assert response.status_code == 200
    items = {item["data-suggestion"]: item for item in html(response).select("[data-suggestion]")}
    assert items[ids["suggestion"]]["data-result"] == "taken"
    assert "ruled out this pair" in items[ids["suggestion"]].text
    assert items[other_id]["data-result"] == "confirmed"
    with db(engine) as session:
        recipients = set(session.scalars(select(OutboxMessage.participant_id)))
    assert recipients == other_people


def test_confirm_selected_refuses_a_child_with_an_unvetted_local(client, engine):
    ids = kassel(engine)
    login(client, "alice@example.org")
    token = csrf_token(client, SUGGESTIONS + "?lang=en")
    response = client.post(
        "/coordinator/suggestions/confirm",
        data={"_csrf_token": token, "tandem": [ids["suggestion"]]},
    )
    assert response.status_code == 409
    assert "police certificate" in html(response).select_one("[data-suggestion]").text
    assert mails(engine) == 0


def test_pair_by_hand_refuses_a_ruled_out_pair_and_offers_to_allow_it_again(client, engine):
    ids = kassel(engine, child=False)
    login(client, "alice@example.org")
    pair = {"local": ids["lena"], "newcomer": ids["nour"]}
    post(client, "/coordinator/regions/kassel/pairs/forbid", pair)
    response = post(client, NEW_PAIR, {**pair, "accept_broken": "1"}, page=NEW_PAIR)
    assert response.status_code == 409
    assert "ruled out this pair" in alert(response)
    allow = html(response).select_one('form[action$="/pairs/unforbid"]')
    assert allow is not None
    assert allow.select_one("input[name=local]")["value"] == ids["lena"]
    with db(engine) as session:
        assert session.scalar(select(func.count(Tandem.id))) == 0


def test_the_birth_year_decides_who_counts_as_a_child():
    from web.suggestions.suggestions import is_minor

    assert is_minor(Participant(birth_year=2009), today=date(2026, 12, 3))
    assert not is_minor(Participant(birth_year=2008), today=date(2026, 12, 3))


def test_a_16_year_old_without_a_guardian_cannot_be_paired_even_with_a_vetted_local(engine):
    """Issue 16: a newcomer of 16 needs a guardian recorded; no confirmation overrides it."""
    ids = kassel(engine, vetted=True)
    with db(engine) as session:
        nour = session.get(Participant, ids["nour_id"])
        nour.birth_year, nour.guardian_name, nour.guardian_relation = TODAY.year - 16, None, None
    with db(engine) as session:
        tandem = session.scalars(select(Tandem).where(Tandem.public_id == ids["suggestion"])).one()
        alice = session.get(Coordinator, ids["alice"])
        with pytest.raises(web.suggestions.suggestions.RuledOut) as refused:
            web.suggestions.suggestions.confirm(session, tandem, alice, now=datetime.now(UTC))  # type: ignore[arg-type]
    assert str(refused.value) == web.suggestions.suggestions.NEEDS_GUARDIAN
    assert tandem_row(engine, ids["suggestion"]).status == "suggested"  # type: ignore[union-attr]
