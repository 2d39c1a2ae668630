"""The tandem life cycle as a state machine: every allowed and every forbidden move,
places freed at the end, re-match with waiting time credited, events for the reports.

Lena (local, capacity 2) and Nour (newcomer, waiting since November) are a tandem
in Kassel.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from tests.builders import (
    STARTED,
    WAITING_SINCE,
    Pair,
    build_tandem,
    db,
    make_coordinator,
    make_participant,
    make_region,
    reload,
)
from web.core.models import AuditLog, Event, Participant, Region, Tandem
from web.core.vocabulary import TANDEM_STATUSES
from web.tandems import lifecycle

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # 63 days after the start


@pytest.fixture
def kassel(engine) -> int:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        region = make_region(session, "kassel")
        make_coordinator(session, "alice@example.org", regions=[region])
        return region.id  # type: ignore[return-value]


def make(engine, kassel: int, status: str = "active") -> Pair:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return build_tandem(session, session.get(Region, kassel), status=status)  # type: ignore[arg-type]


def alice(session: Session):  # type: ignore[no-untyped-def]
    from web.core.models import Coordinator

    return session.scalars(
        select(Coordinator).where(Coordinator.email == "alice@example.org")
    ).one()


def events_of(engine, pair: Pair, kind: str) -> list[Event]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.scalars(
                select(Event).where(Event.kind == kind, Event.tandem_ref == pair.public_id)
            )
        )


# --- the table -------------------------------------------------------------------------------

ALLOWED = {
    ("proposed", "active"),
    ("active", "paused"),
    ("paused", "active"),
    ("active", "ended"),
    ("paused", "ended"),
}
FORBIDDEN = sorted(
    (current, to)
    for current, to in itertools.product(TANDEM_STATUSES, repeat=2)
    if (current, to) not in ALLOWED
)


def test_it_has_exactly_the_documented_transitions() -> None:
    assert set(lifecycle.TRANSITIONS) == ALLOWED


@pytest.mark.parametrize(("current", "to"), sorted(ALLOWED))
def test_it_allows(engine, kassel, current: str, to: str) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, current)
    with db(engine) as session:
        tandem = session.get(Tandem, pair.tandem_id)
        lifecycle.transition(
            session, tandem, to, actor=alice(session), now=NOW,
            reason="goal_reached" if to == "ended" else None,
        )  # fmt: skip
    tandem, local, newcomer = reload(engine, pair)
    assert tandem.status == to
    with Session(engine) as session:
        actions = session.scalars(
            select(AuditLog.action).where(
                AuditLog.subject_type == "tandem", AuditLog.subject_id == str(pair.tandem_id)
            )
        ).all()
    assert actions == [lifecycle.TRANSITIONS[(current, to)]]
    if to == "paused":
        assert tandem.paused_at == NOW
    if current == "paused" and to == "active":
        assert tandem.paused_at is None
    if current == "proposed":
        assert tandem.started_at == NOW
        assert tandem.fit_check_due_at == NOW + timedelta(days=28)
        assert tandem.next_checkin_at == tandem.fit_check_due_at
        [started] = events_of(engine, pair, "started")
        assert started.days == (NOW.date() - WAITING_SINCE).days
    if to == "ended":
        assert (tandem.ended_at, tandem.end_reason, tandem.ended_by) == (
            NOW,
            "goal_reached",
            "coordinator",
        )
        assert (local.open_tandems, newcomer.open_tandems) == (0, 0)


@pytest.mark.parametrize(("current", "to"), FORBIDDEN)
def test_it_forbids(engine, kassel, current: str, to: str) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, current)
    before = reload(engine, pair)
    with db(engine) as session, pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.transition(
            session, session.get(Tandem, pair.tandem_id), to, actor=alice(session), now=NOW,
            reason="goal_reached",
        )  # fmt: skip
    after = reload(engine, pair)
    assert after[0].status == current
    assert after[0].ended_at == before[0].ended_at
    assert (after[1].open_tandems, after[2].open_tandems) == (
        before[1].open_tandems,
        before[2].open_tandems,
    )
    with Session(engine) as session:
        assert session.scalars(select(AuditLog)).first() is None
        assert session.scalars(select(Event)).first() is None


def test_it_refuses_a_move_someone_else_made_first(engine, kassel, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        tandem = session.get(Tandem, pair.tandem_id)
        # Another request pauses it between our read and our write.
        session.execute(
            update(Tandem).where(Tandem.id == pair.tandem_id).values(status="paused")
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        monkeypatch.setattr(session, "refresh", lambda *args, **kwargs: None)  # keep it stale
        with pytest.raises(lifecycle.TransitionNotAllowed):
            lifecycle.pause(session, tandem, actor=None, now=NOW)
        assert session.scalars(select(AuditLog)).first() is None


# --- the end -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "paused"])
def test_it_ends_with_a_reason_frees_both_places_and_records_the_duration(
    engine, kassel, status: str
) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, status)
    with db(engine) as session:
        lifecycle.end(
            session, session.get(Tandem, pair.tandem_id), reason="moved_away", by="local",
            now=NOW, actor=session.get(Participant, pair.local_id),
        )  # fmt: skip
    tandem, local, newcomer = reload(engine, pair)
    assert (tandem.status, tandem.end_reason, tandem.ended_by) == ("ended", "moved_away", "local")
    assert tandem.next_checkin_at is None
    assert (local.open_tandems, newcomer.open_tandems) == (0, 0)
    # Out of the queue until someone decides; the waiting time is kept.
    assert newcomer.status == "paused" and newcomer.waiting_since == WAITING_SINCE
    assert local.status == "active"
    [ended] = events_of(engine, pair, "ended")
    assert (ended.reason, ended.days, ended.at) == ("moved_away", 63, NOW)
    with Session(engine) as session:
        row = session.scalars(select(AuditLog).where(AuditLog.action == "tandem.ended")).one()
        assert (row.actor_type, row.actor_id) == ("participant", pair.local_id)


def test_it_never_counts_below_zero(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        session.get(Participant, pair.local_id).open_tandems = 0  # type: ignore[union-attr]
        session.flush()
        lifecycle.end(
            session, session.get(Tandem, pair.tandem_id), reason="other", by="coordinator", now=NOW
        )
    _, local, newcomer = reload(engine, pair)
    assert (local.open_tandems, newcomer.open_tandems) == (0, 0)


def test_it_leaves_the_locals_other_tandem_counted(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        local = session.get(Participant, pair.local_id)
        other = make_participant(session, session.get(Region, kassel), open_tandems=1)
        local.open_tandems = 2  # type: ignore[union-attr]
        session.add(
            Tandem(local_id=pair.local_id, newcomer_id=other.id, region_id=kassel, status="active")
        )
        session.flush()
        lifecycle.end(
            session, session.get(Tandem, pair.tandem_id), reason="no_time", by="coordinator",
            now=NOW,
        )  # fmt: skip
    _, local, _ = reload(engine, pair)
    assert local.open_tandems == 1


@pytest.mark.parametrize("reason", [None, "", "bored", "goal reached"])
def test_it_needs_a_known_reason(engine, kassel, reason) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session, pytest.raises(lifecycle.InvalidReason):
        lifecycle.transition(
            session, session.get(Tandem, pair.tandem_id), "ended", actor=None, now=NOW,
            reason=reason,
        )  # fmt: skip
    assert reload(engine, pair)[0].status == "active"


def test_it_knows_who_may_end(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session, pytest.raises(ValueError, match="ender"):
        lifecycle.end(
            session, session.get(Tandem, pair.tandem_id), reason="other", by="admin", now=NOW
        )


def test_it_places_an_end_on_the_chosen_day(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        tandem = session.get(Tandem, pair.tandem_id)
        assert lifecycle.end_moment(NOW.date(), tandem=tandem, now=NOW) == NOW
        earlier = lifecycle.end_moment(date(2026, 4, 30), tandem=tandem, now=NOW)
        assert earlier == datetime(2026, 4, 30, 10, 0, tzinfo=UTC)  # midday in Berlin (CEST)
        # The start day itself: never before the start.
        assert lifecycle.end_moment(STARTED.date(), tandem=tandem, now=NOW) == max(
            STARTED, datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
        )
        for wrong in (NOW.date() + timedelta(days=1), STARTED.date() - timedelta(days=1)):
            with pytest.raises(lifecycle.InvalidEndDate):
                lifecycle.end_moment(wrong, tandem=tandem, now=NOW)
        lifecycle.end(session, tandem, reason="other", by="coordinator", now=NOW, at=earlier)
    tandem = reload(engine, pair)[0]
    assert tandem.ended_at == earlier
    assert events_of(engine, pair, "ended")[0].days == 59


# --- re-match ------------------------------------------------------------------------------


def test_rematch_ends_and_puts_the_newcomer_back_with_the_waiting_time_credited(
    engine, kassel
) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        result = lifecycle.rematch(
            session, session.get(Tandem, pair.tandem_id), coordinator=alice(session), now=NOW,
            reason="conflict",
        )  # fmt: skip
    assert result == lifecycle.Rematch(ended=True, requeued=True)
    tandem, local, newcomer = reload(engine, pair)
    assert (tandem.status, tandem.end_reason, tandem.ended_by) == (
        "ended",
        "conflict",
        "coordinator",
    )
    assert newcomer.status == "active"
    assert newcomer.waiting_since == WAITING_SINCE  # not today
    assert (local.open_tandems, newcomer.open_tandems) == (0, 0)
    assert [e.reason for e in events_of(engine, pair, "ended")] == ["conflict"]
    with Session(engine) as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["tandem.ended", "tandem.rematched"]


def test_rematch_needs_a_reason_for_an_open_tandem(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "paused")
    with db(engine) as session, pytest.raises(lifecycle.InvalidReason):
        lifecycle.rematch(
            session, session.get(Tandem, pair.tandem_id), coordinator=alice(session), now=NOW
        )
    assert reload(engine, pair)[0].status == "paused"


def test_rematch_after_a_partner_ended_it_requeues_once(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        lifecycle.end(
            session, session.get(Tandem, pair.tandem_id), reason="no_time", by="local", now=NOW
        )
    with db(engine) as session:
        tandem = session.get(Tandem, pair.tandem_id)
        assert lifecycle.can_rematch(session, tandem)
        result = lifecycle.rematch(session, tandem, coordinator=alice(session), now=NOW)
    assert result == lifecycle.Rematch(ended=False, requeued=True)
    tandem, _, newcomer = reload(engine, pair)
    assert (tandem.end_reason, newcomer.status, newcomer.waiting_since) == (
        "no_time",
        "active",
        WAITING_SINCE,
    )
    assert len(events_of(engine, pair, "ended")) == 1
    with db(engine) as session, pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.rematch(
            session, session.get(Tandem, pair.tandem_id), coordinator=alice(session), now=NOW
        )


@pytest.mark.parametrize("status", ["suggested", "proposed", "rejected", "declined", "expired"])
def test_rematch_is_only_for_tandems_that_started(engine, kassel, status: str) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, status)
    with db(engine) as session, pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.rematch(
            session, session.get(Tandem, pair.tandem_id), coordinator=alice(session), now=NOW,
            reason="other",
        )  # fmt: skip
    assert reload(engine, pair)[0].status == status


# --- fit check and start ----------------------------------------------------------------------


def test_the_fit_check_is_marked_once(engine, kassel) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, "active")
    with db(engine) as session:
        lifecycle.mark_fit_checked(
            session, session.get(Tandem, pair.tandem_id), actor=alice(session), now=NOW
        )
    assert reload(engine, pair)[0].fit_checked_at == NOW
    with db(engine) as session, pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.mark_fit_checked(
            session, session.get(Tandem, pair.tandem_id), actor=alice(session), now=NOW
        )


@pytest.mark.parametrize("status", ["suggested", "proposed", "ended", "declined"])
def test_no_fit_check_outside_a_running_tandem(engine, kassel, status: str) -> None:  # type: ignore[no-untyped-def]
    pair = make(engine, kassel, status)
    with db(engine) as session, pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.mark_fit_checked(
            session, session.get(Tandem, pair.tandem_id), actor=None, now=NOW
        )


def test_both_yeses_schedule_the_fit_check_and_record_the_start(engine, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.worlds import START, proposal_links, proposed_tandem
    from web.proposals import proposals

    world = proposed_tandem(engine, settings)
    lena_link, nour_link = proposal_links(engine)
    answered = START + timedelta(days=2)
    with db(engine) as session:
        proposals.answer(session, lena_link, "accept", now=answered)
        proposals.answer(session, nour_link, "accept", now=answered)
    with Session(engine) as session:
        tandem = session.get(Tandem, world.tandem_id)
        assert tandem.status == "active"  # type: ignore[union-attr]
        assert tandem.fit_check_due_at == answered + timedelta(days=28)  # type: ignore[union-attr]
        assert tandem.next_checkin_at == tandem.fit_check_due_at  # type: ignore[union-attr]
        [started] = session.scalars(select(Event).where(Event.kind == "started")).all()
        assert started.tandem_ref == tandem.public_id  # type: ignore[union-attr]
        assert started.days == (answered.date() - date(2025, 11, 1)).days
        assert started.region_id == tandem.region_id  # type: ignore[union-attr]
        # Recorded once, however often the hook runs.
        lifecycle.started(session, tandem, now=answered)  # type: ignore[arg-type]
        session.flush()
        assert len(session.scalars(select(Event).where(Event.kind == "started")).all()) == 1
