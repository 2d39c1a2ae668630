"""The sign-up writer: batches of sign-ups in one transaction, answered after commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from litestar.exceptions import TooManyRequestsException
from sqlalchemy import func, select

from tests.builders import counters, db, make_region, valid_form
from web.core import limits, participants
from web.core.forms import parse_participant_form
from web.core.models import OutboxMessage, Participant, utcnow
from web.signup.writer import PendingSignUp, SignUpWriter


@pytest.fixture
def kassel(engine):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        make_region(session, "kassel")


def pending(email: str, *, store: bool = True, place: str = "kassel-town", client: str = ""):  # type: ignore[no-untyped-def]
    """A sign-up form as posted; from an address of its own unless ``client`` is given."""
    now = utcnow()
    fields = valid_form(email=email, place=place)
    form = parse_participant_form(fields, role="newcomer", this_year=now.year)
    client = client or f"client-of-{email}"
    return PendingSignUp(form=form, locale="de", client=client, now=now, store=store)


def run(writer: SignUpWriter, work: Callable[[SignUpWriter], Any]) -> Any:
    async def main() -> Any:
        async with writer.running():
            return await work(writer)

    return asyncio.run(main())


def stored(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return sorted(session.scalars(select(Participant.email)))


def mails(engine) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


@pytest.fixture
def batches(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The size of every batch ``register`` is called with."""
    sizes: list[int] = []
    register = participants.register

    def counting(session, people):  # type: ignore[no-untyped-def]
        sizes.append(len(people))
        return register(session, people)

    monkeypatch.setattr(participants, "register", counting)
    return sizes


@pytest.fixture
def held(monkeypatch) -> threading.Event:  # type: ignore[no-untyped-def]
    """The writer waits in its first batch until the event is set: what arrives
    meanwhile forms the next batch."""
    release = threading.Event()
    autocommit = limits.autocommit
    first = [True]

    def waiting(engine):  # type: ignore[no-untyped-def]
        if first[0]:
            first[0] = False
            assert release.wait(10)
        return autocommit(engine)

    monkeypatch.setattr(limits, "autocommit", waiting)
    return release


def test_sign_ups_waiting_together_are_stored_in_one_transaction(
    engine, settings, kassel, batches, held
):
    async def work(writer: SignUpWriter) -> None:
        first = asyncio.ensure_future(writer.submit(pending("first@example.org")))
        await asyncio.sleep(0.2)  # the writer is now holding the first one
        rest = [
            asyncio.ensure_future(writer.submit(pending(f"p{n}@example.org"))) for n in range(30)
        ]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in [first, *rest])  # nothing answered early
        held.set()
        outcomes = await asyncio.gather(first, *rest)
        assert all(not outcome.place_unknown for outcome in outcomes)
        assert outcomes[0].places == ["kassel-town"]

    run(SignUpWriter(engine, settings), work)
    assert batches == [1, 30]
    assert len(stored(engine)) == 31 and mails(engine) == 31


def test_one_address_twice_in_a_batch_stores_one_person_and_sends_one_e_mail(
    engine, settings, kassel, batches, held
):
    async def work(writer: SignUpWriter) -> None:
        first = asyncio.ensure_future(writer.submit(pending("first@example.org")))
        await asyncio.sleep(0.2)
        twice = [asyncio.ensure_future(writer.submit(pending("nour@example.org"))) for _ in "ab"]
        await asyncio.sleep(0.2)
        held.set()
        await asyncio.gather(first, *twice)

    run(SignUpWriter(engine, settings), work)
    assert batches == [1, 2]
    assert stored(engine) == ["first@example.org", "nour@example.org"]
    with db(engine) as session:
        kinds = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.to_address == "nour@example.org")
        ).all()
    assert kinds == ["verify_address"]  # a double click: the second is the same person


def test_a_failing_batch_is_retried_one_by_one_so_only_the_bad_sign_up_fails(
    engine, settings, kassel, monkeypatch, held
):
    register = participants.register

    def fragile(session, people):  # type: ignore[no-untyped-def]
        if any(new.form.email == "bad@example.org" for new in people):
            raise RuntimeError("a row the database refuses")
        return register(session, people)

    monkeypatch.setattr(participants, "register", fragile)

    async def work(writer: SignUpWriter) -> list[Any]:
        first = asyncio.ensure_future(writer.submit(pending("first@example.org")))
        await asyncio.sleep(0.2)
        emails = ["a@example.org", "bad@example.org", "c@example.org"]
        batch = [asyncio.ensure_future(writer.submit(pending(email))) for email in emails]
        await asyncio.sleep(0.2)
        held.set()
        return await asyncio.gather(first, *batch, return_exceptions=True)

    results = run(SignUpWriter(engine, settings), work)
    assert [isinstance(result, Exception) for result in results] == [False, False, True, False]
    assert stored(engine) == ["a@example.org", "c@example.org", "first@example.org"]
    assert mails(engine) == 3  # the failed one left no e-mail behind either


def test_an_unknown_town_stores_nothing_and_says_so(engine, settings, kassel):
    async def work(writer: SignUpWriter) -> Any:
        return await writer.submit(pending("nour@example.org", place="Atlantis"))

    outcome = run(SignUpWriter(engine, settings), work)
    assert outcome.place_unknown and outcome.places == ["kassel-town"]
    assert stored(engine) == [] and mails(engine) == 0


def test_every_post_is_an_attempt_but_only_sign_ups_count_against_the_limit(
    engine, settings, kassel
):
    SHELTER = "1.2.3.4"  # noqa: N806 (one address for the posts)
    limited = settings.model_copy(update={"signup_limit_per_hour": 1})

    async def work(writer: SignUpWriter) -> list[Any]:
        return [
            await writer.submit(pending("switch@example.org", store=False, client=SHELTER)),
            await writer.submit(pending("town@example.org", place="Atlantis", client=SHELTER)),
            await writer.submit(pending("a@example.org", client=SHELTER)),
            await writer.submit(pending("b@example.org", client=SHELTER)),
            await writer.submit(pending("c@example.org", client="5.6.7.8")),  # another address
        ]

    switched, unknown_town, stored_a, refused_b, stored_c = run(SignUpWriter(engine, limited), work)
    assert switched.refused is None and unknown_town.place_unknown and unknown_town.refused is None
    assert stored_a.refused is None and stored_c.refused is None
    assert isinstance(refused_b.refused, TooManyRequestsException)
    assert refused_b.places == ["kassel-town"]  # for the form shown again
    assert stored(engine) == ["a@example.org", "c@example.org"]
    assert counters(engine) == {
        ("signup_post", SHELTER): 4,
        ("signup", SHELTER): 2,
        ("signup_post", "5.6.7.8"): 1,
        ("signup", "5.6.7.8"): 1,
    }


def test_the_attempts_have_a_limit_of_their_own(engine, settings, kassel):
    limited = settings.model_copy(update={"signup_limit_per_hour": 1})  # 10 attempts

    async def work(writer: SignUpWriter) -> list[Any]:
        return [
            await writer.submit(pending("switch@example.org", store=False, client="1.2.3.4"))
            for _ in range(limits.ATTEMPTS_PER_SIGN_UP + 1)
        ]

    outcomes = run(SignUpWriter(engine, limited), work)
    assert [outcome.refused is None for outcome in outcomes] == [True] * 10 + [False]


def test_what_is_queued_when_the_app_stops_is_still_written(engine, settings, kassel, held):
    async def main() -> list[Any]:
        writer = SignUpWriter(engine, settings)
        async with writer.running():
            tasks = [
                asyncio.ensure_future(writer.submit(pending(f"p{n}@example.org"))) for n in range(5)
            ]
            await asyncio.sleep(0.1)
            held.set()  # the app stops while the writer is still busy
        return await asyncio.gather(*tasks)

    asyncio.run(main())
    assert len(stored(engine)) == 5


def test_a_writer_that_is_not_running_refuses_instead_of_waiting_forever(engine, settings):
    with pytest.raises(RuntimeError, match="not running"):
        asyncio.run(SignUpWriter(engine, settings).submit(pending("nour@example.org")))


def test_the_writer_survives_a_bug_in_a_batch_and_goes_on(engine, settings, kassel, monkeypatch):
    calls = []

    def broken_once(self, items):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        if len(calls) == 1:
            raise KeyError("a bug")
        return handle(self, items)

    handle = SignUpWriter._handle
    monkeypatch.setattr(SignUpWriter, "_handle", broken_once)

    async def work(writer: SignUpWriter) -> list[Any]:
        first = await asyncio.gather(
            writer.submit(pending("a@example.org")), return_exceptions=True
        )
        second = await writer.submit(pending("b@example.org"))
        return [first[0], second]

    failed, outcome = run(SignUpWriter(engine, settings), work)
    assert isinstance(failed, RuntimeError) and not outcome.place_unknown
    assert stored(engine) == ["b@example.org"]
