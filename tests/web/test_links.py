from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from tests.builders import db, make_participant, make_region
from web.core import links
from web.core.db import transaction
from web.core.models import AccessToken, Participant

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TWO_DAYS = timedelta(days=2)


@pytest.fixture
def salma(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return make_participant(session, make_region(session, "kassel"), first_name="Salma").id


def issue(engine, participant_id, purpose="verify", *, now=NOW, lifetime=TWO_DAYS):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        person = session.get(Participant, participant_id)
        return links.issue(session, person, purpose, now=now, lifetime=lifetime)


def redeem(engine, raw, purpose="verify", *, now=NOW, single_use=True):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return links.redeem(session, raw, purpose, now=now, single_use=single_use).id


def test_it_redeems_an_issued_token_for_its_participant(engine, salma):
    raw = issue(engine, salma)
    assert len(raw) >= 43
    assert redeem(engine, raw, now=NOW + timedelta(hours=1)) == salma


def test_it_stores_only_the_hash(engine, salma):
    raw = issue(engine, salma)
    with db(engine) as session:
        stored = session.scalars(select(AccessToken)).one()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(value) for value in stored.model_dump().values()}
    assert stored.expires_at == NOW + TWO_DAYS


def test_a_single_use_token_works_once(engine, salma):
    raw = issue(engine, salma)
    redeem(engine, raw)
    with pytest.raises(links.LinkUsed):
        redeem(engine, raw, now=NOW + timedelta(minutes=1))
    with db(engine) as session:
        assert session.scalars(select(AccessToken.used_at)).one() == NOW


def test_a_reusable_token_works_until_it_expires(engine, salma):
    raw = issue(engine, salma, "profile", lifetime=timedelta(days=30))
    for days in (0, 1, 29):
        assert redeem(engine, raw, "profile", now=NOW + timedelta(days=days), single_use=False)
    with pytest.raises(links.LinkExpired):
        redeem(engine, raw, "profile", now=NOW + timedelta(days=30), single_use=False)


@pytest.mark.parametrize("late", [TWO_DAYS, TWO_DAYS + timedelta(seconds=1), timedelta(days=90)])
def test_it_refuses_an_expired_token(engine, salma, late):
    raw = issue(engine, salma)
    with pytest.raises(links.LinkExpired):
        redeem(engine, raw, now=NOW + late)


def test_an_expired_token_is_not_consumed(engine, salma):
    raw = issue(engine, salma)
    with pytest.raises(links.LinkExpired):
        redeem(engine, raw, now=NOW + TWO_DAYS)
    with db(engine) as session:
        assert session.scalars(select(AccessToken.used_at)).one() is None


def test_a_token_for_another_purpose_is_invalid(engine, salma):
    raw = issue(engine, salma, "profile")
    with pytest.raises(links.LinkInvalid):
        redeem(engine, raw, "verify")


@pytest.mark.parametrize("raw", ["", "nonsense", "x" * 10_000])
def test_an_unknown_token_is_invalid(engine, salma, raw):
    issue(engine, salma)
    with pytest.raises(links.LinkInvalid):
        redeem(engine, raw)


def test_all_token_errors_share_one_base_class():
    for error in (links.LinkInvalid, links.LinkExpired, links.LinkUsed):
        assert issubclass(error, links.LinkError)


def test_it_refuses_an_unknown_purpose(engine, salma):
    with pytest.raises(ValueError, match="purpose"):
        issue(engine, salma, "login")


def test_a_rolled_back_redemption_leaves_the_token_usable(engine, salma):
    raw = issue(engine, salma)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        links.redeem(session, raw, "verify", now=NOW, single_use=True)
        raise RuntimeError("the request failed after redeeming")
    assert redeem(engine, raw) == salma


def test_two_concurrent_clicks_on_a_single_use_link_let_exactly_one_through(engine, salma):
    raw = issue(engine, salma)
    clicks = 6
    barrier = threading.Barrier(clicks)
    outcomes: list[object] = []
    lock = threading.Lock()

    def click() -> None:
        barrier.wait()
        try:
            outcome: object = redeem(engine, raw)
        except links.LinkError as exc:
            outcome = type(exc)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=click) for _ in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == sorted([salma] + [links.LinkUsed] * (clicks - 1), key=str)


def test_consuming_is_a_compare_and_set_even_when_the_read_was_stale(engine, salma):
    raw = issue(engine, salma)
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            stale = session.scalars(select(AccessToken)).one()  # used_at is None in memory
        with transaction(engine) as other:  # another click wins meanwhile
            other.execute(update(AccessToken).values(used_at=NOW))
        with session.begin():
            with pytest.raises(links.LinkUsed):
                links.redeem(session, raw, "verify", now=NOW, single_use=True)
            assert stale.used_at is None  # the stale read was what redeem saw
