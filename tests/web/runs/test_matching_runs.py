"""Matching runs: the engine's input from the database, runs end to end, one run per region."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.builders import (
    RUN_DAY,
    db,
    make_coordinator,
    make_participant,
    make_region,
    run_now,
    suggestions,
)
from tests.builders import tandem as tandem_cli
from web.core.models import (
    AuditLog,
    MatchingRun,
    PairRule,
    Participant,
    Region,
    Tandem,
    Vetting,
    utcnow,
)
from web.runs.runs import (
    ENGINE_ERROR,
    STALE_ERROR,
    RunAlreadyRunning,
    execute_run,
    load_region_input,
    start_run,
)

TODAY = RUN_DAY


def local(session, region, **overrides):  # type: ignore[no-untyped-def]
    return make_participant(session, region, role="local", **overrides)


def newcomer(session, region, **overrides):  # type: ignore[no-untyped-def]
    return make_participant(session, region, role="newcomer", **overrides)


def tandem_of(session, region, lo, nc, status, **overrides):  # type: ignore[no-untyped-def]
    row = Tandem(local_id=lo.id, newcomer_id=nc.id, region_id=region.id, status=status, **overrides)
    session.add(row)
    session.flush()
    return row


def ids(people: list[dict]) -> set[str]:
    return {person["id"] for person in people}


def region_input(engine, slug="kassel", **kwargs):  # type: ignore[no-untyped-def]
    with db(engine) as session:
        region = session.scalars(select(Region).where(Region.slug == slug)).one()
        return load_region_input(session, region, today=TODAY, **kwargs)


# --- input ------------------------------------------------------------------------------------


def test_it_takes_only_the_active_people_of_the_region(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        lena = local(session, kassel).public_id
        nour = newcomer(session, kassel).public_id
        local(session, kassel, status="paused")
        newcomer(session, kassel, status="pending")
        newcomer(session, kassel, status="unverified")
        newcomer(session, kassel, status="withdrawn")
        local(session, goettingen)
        newcomer(session, goettingen)
    instance = region_input(engine)
    assert ids(instance["locals"]) == {lena}
    assert ids(instance["newcomers"]) == {nour}
    assert instance["today"] == TODAY.isoformat()
    assert instance["settings"] == {"min_level": "B1", "max_distance_km": 25.0}


def test_a_locals_capacity_is_what_is_left_after_open_tandems(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        two_left_one = local(session, kassel, capacity=2, open_tandems=1).public_id
        full = local(session, kassel, capacity=1, open_tandems=1).public_id
    capacities = {person["id"]: person["capacity"] for person in region_input(engine)["locals"]}
    assert capacities == {two_left_one: 1, full: 0}


def test_a_newcomer_in_an_open_tandem_is_left_out(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena = local(session, kassel, capacity=3)
        in_proposal = newcomer(session, kassel)
        in_tandem = newcomer(session, kassel)
        suggested_only = newcomer(session, kassel)
        tandem_of(session, kassel, lena, in_proposal, "proposed")
        tandem_of(session, kassel, lena, in_tandem, "active")
        tandem_of(session, kassel, lena, suggested_only, "suggested")
        waiting = suggested_only.public_id
    assert ids(region_input(engine)["newcomers"]) == {waiting}


@pytest.mark.parametrize("status", ["rejected", "declined", "expired", "ended"])
def test_a_pair_that_was_turned_down_or_ended_is_never_suggested_again(engine, status):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena, nour = local(session, kassel), newcomer(session, kassel)
        tandem_of(session, kassel, lena, nour, status)
        pair = [lena.public_id, nour.public_id]
    assert region_input(engine)["forbidden"] == [pair]


def test_forbidden_pairs_come_from_rules_and_skip_people_not_in_the_input(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena, nour = local(session, kassel), newcomer(session, kassel)
        paused = newcomer(session, kassel, status="paused")
        other = newcomer(session, kassel)
        for nc in (nour, paused):
            session.add(
                PairRule(region_id=kassel.id, local_id=lena.id, newcomer_id=nc.id, kind="forbid")
            )
        tandem_of(session, kassel, lena, other, "suggested")  # a suggestion rules nothing out
        pair = [lena.public_id, nour.public_id]
    instance = region_input(engine)
    assert instance["forbidden"] == [pair]
    assert instance["pinned"] == []


def test_pinned_pairs_are_kept_while_both_people_are_in_the_input(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena = local(session, kassel, capacity=1)
        jonas = local(session, kassel, capacity=1)
        nour, sami, gone = newcomer(session, kassel), newcomer(session, kassel), None
        gone = newcomer(session, kassel, status="withdrawn")
        now = utcnow()
        rules = [
            (lena, nour, now),  # kept
            (lena, sami, now + timedelta(seconds=1)),  # beyond lena's capacity: dropped
            (jonas, gone, now),  # a withdrawn newcomer: dropped
        ]
        for lo, nc, at in rules:
            session.add(
                PairRule(
                    region_id=kassel.id,
                    local_id=lo.id,
                    newcomer_id=nc.id,
                    kind="pin",
                    created_at=at,
                )
            )
        session.add(
            PairRule(region_id=kassel.id, local_id=jonas.id, newcomer_id=nour.id, kind="forbid")
        )
        pair = [lena.public_id, nour.public_id]
    instance = region_input(engine)
    assert instance["pinned"] == [pair]


def test_a_pinned_pair_is_not_forbidden_by_an_earlier_rejection(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena, nour = local(session, kassel), newcomer(session, kassel)
        tandem_of(session, kassel, lena, nour, "rejected")
        session.add(
            PairRule(region_id=kassel.id, local_id=lena.id, newcomer_id=nour.id, kind="pin")
        )
        pair = [lena.public_id, nour.public_id]
    instance = region_input(engine)
    assert instance["pinned"] == [pair]
    assert instance["forbidden"] == []


def test_the_engine_learns_who_is_vetted_and_who_is_a_minor(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        vetted = local(session, kassel)
        session.add(Vetting(local_id=vetted.id, certificate_date=TODAY, seen_on=TODAY))
        unvetted = local(session, kassel).public_id
        minor = newcomer(
            session, kassel, birth_year=TODAY.year - 16, guardian_name="Samira"
        ).public_id
        vetted_id = vetted.public_id
    instance = region_input(engine)
    assert {p["id"]: p["vetted"] for p in instance["locals"]} == {vetted_id: True, unvetted: False}
    assert instance["newcomers"][0]["id"] == minor
    assert instance["newcomers"][0]["birth_year"] == TODAY.year - 16


def test_a_16_year_old_without_a_guardian_is_not_matched(engine):
    """Issue 16: under 18 only with a parent or guardian recorded."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        lena = local(session, kassel)
        session.add(Vetting(local_id=lena.id, certificate_date=TODAY, seen_on=TODAY))
        alone = newcomer(session, kassel, birth_year=TODAY.year - 16).public_id
        with_guardian = newcomer(
            session, kassel, birth_year=TODAY.year - 16, guardian_name="Samira"
        ).public_id
    ids = [p["id"] for p in region_input(engine)["newcomers"]]
    assert with_guardian in ids and alone not in ids


def test_preview_weights_override_the_regions_weights(engine):
    with db(engine) as session:
        make_region(session, "kassel").weights = {"interests": 1.0}
    assert region_input(engine)["settings"]["weights"] == {"interests": 1.0}
    preview = region_input(engine, weights={"waiting": 1.0})
    assert preview["settings"]["weights"] == {"waiting": 1.0}


def count_queries(engine):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


def test_the_input_takes_the_same_few_queries_for_any_number_of_people(engine):
    with db(engine) as session:
        region_id = make_region(session, "kassel").id
    counts = []
    for _ in range(2):
        with db(engine) as session:
            kassel = session.get(Region, region_id)
            for _n in range(10):
                lo = local(session, kassel)
                session.add(Vetting(local_id=lo.id, certificate_date=TODAY, seen_on=TODAY))
                newcomer(session, kassel)
        statements, stop = count_queries(engine)
        try:
            region_input(engine)
        finally:
            stop()
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 10


# --- runs ---------------------------------------------------------------------------------------


def kassel_world(engine):  # type: ignore[no-untyped-def]
    """Alice serves Kassel: two locals, three newcomers, one of whom speaks only Arabic."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        alice = make_coordinator(session, "alice@example.org", regions=[kassel])
        for name in ("Lena", "Jonas"):
            local(session, kassel, first_name=name, interests=["football"])
        for name in ("Nour", "Sami"):
            newcomer(session, kassel, first_name=name, interests=["football"])
        newcomer(session, kassel, first_name="Hamid", languages={"ar": "native"})
        return kassel.id, alice.id


def test_it_runs_matching_and_stores_explained_suggestions(engine):
    region_id, alice_id = kassel_world(engine)
    run = run_now(engine, region_id, alice_id)
    assert run.status == "done" and run.finished_at is not None and run.error is None
    assert run.stats["stage"] == "done"
    assert run.stats["stats"]["pairs"] == 2
    assert run.stats["stats"]["unmatched"] == 1
    assert run.stats["unmatched"][0]["blocked_by"] == "language"
    assert run.stats["gaps"][0]["languages"] == ["ar"]
    assert run.settings["min_level"] == "B1"
    stored = suggestions(engine, region_id)
    assert len(stored) == 2
    for suggestion in stored:
        assert suggestion.run_id == run.id and 0 < suggestion.score <= 1
        assert not suggestion.pinned
        assert {"interests", "waiting"} <= set(suggestion.components)
        assert {"code": "shared_interests", "items": ["football"]} in suggestion.reasons
    with db(engine) as session:
        names = {
            session.get(Participant, suggestion.newcomer_id).first_name for suggestion in stored
        }
        logged = session.scalars(select(AuditLog).where(AuditLog.action == "matching.run")).one()
    assert names == {"Nour", "Sami"}
    assert (logged.actor_id, logged.subject_id) == (alice_id, str(run.id))


def test_a_second_run_replaces_the_suggestions_but_keeps_decided_and_manual_pairs(engine):
    region_id, alice_id = kassel_world(engine)
    first = run_now(engine, region_id, alice_id)
    with db(engine) as session:
        region = session.get(Region, region_id)
        lena = session.scalars(select(Participant).where(Participant.first_name == "Lena")).one()
        hamid = session.scalars(select(Participant).where(Participant.first_name == "Hamid")).one()
        manual = tandem_of(session, region, lena, hamid, "suggested", manual=True).id
        rejected = session.scalars(select(Tandem).where(Tandem.run_id == first.id)).first()
        rejected.status = "rejected"
        rejected_pair = (rejected.local_id, rejected.newcomer_id)
    second = run_now(engine, region_id, alice_id)
    stored = suggestions(engine, region_id)
    engine_made = [t for t in stored if not t.manual]
    assert {t.run_id for t in engine_made} == {second.id}
    assert [t.id for t in stored if t.manual] == [manual]
    assert rejected_pair not in {(t.local_id, t.newcomer_id) for t in engine_made}
    with db(engine) as session:
        assert session.scalars(select(Tandem).where(Tandem.status == "rejected")).one()


def test_a_locked_pair_is_suggested_even_against_the_rules(engine):
    region_id, alice_id = kassel_world(engine)
    with db(engine) as session:
        lena = session.scalars(select(Participant).where(Participant.first_name == "Lena")).one()
        hamid = session.scalars(select(Participant).where(Participant.first_name == "Hamid")).one()
        session.add(
            PairRule(region_id=region_id, local_id=lena.id, newcomer_id=hamid.id, kind="pin")
        )
        pair = (lena.id, hamid.id)
    run_now(engine, region_id, alice_id)
    pinned = [t for t in suggestions(engine, region_id) if t.pinned]
    assert [(t.local_id, t.newcomer_id) for t in pinned] == [pair]
    assert {"code": "overrides", "items": ["language"]} in pinned[0].reasons


def test_a_second_run_for_the_same_region_is_refused_while_one_runs(engine):
    region_id, alice_id = kassel_world(engine)
    with db(engine) as session:
        region = session.get(Region, region_id)
        first = start_run(session, region, None, now=utcnow())
    with db(engine) as session, pytest.raises(RunAlreadyRunning, match="already running") as exc:
        start_run(session, session.get(Region, region_id), None, now=utcnow())
    assert exc.value.running is not None and exc.value.running.id == first.id
    execute_run(engine, first.id, today=TODAY)
    with db(engine) as session:
        again = start_run(session, session.get(Region, region_id), None, now=utcnow())
        assert again.status == "running"


def test_runs_of_different_regions_do_not_block_each_other(engine):
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        goettingen = make_region(session, "goettingen", lat=51.53, lon=9.93)
        start_run(session, kassel, None, now=utcnow())
        assert start_run(session, goettingen, None, now=utcnow()).status == "running"


def start_at_once(engine, region_id, barrier, outcomes):  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        with db(engine) as session:
            start_run(session, session.get(Region, region_id), None, now=utcnow())
        outcomes.append("started")
    except RunAlreadyRunning:
        outcomes.append("refused")


def test_two_coordinators_starting_at_the_same_moment_get_one_run(engine):
    region_id, _ = kassel_world(engine)
    for _attempt in range(5):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=start_at_once, args=(engine, region_id, barrier, outcomes))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["refused", "started"]
        with db(engine) as session:
            for run in session.scalars(select(MatchingRun).where(MatchingRun.status == "running")):
                run.status = "failed"


def test_a_run_left_running_by_a_crashed_process_stops_blocking_after_30_minutes(engine):
    region_id, _ = kassel_world(engine)
    now = utcnow()
    with db(engine) as session:
        region = session.get(Region, region_id)
        crashed = start_run(session, region, None, now=now - timedelta(minutes=31)).id
    with db(engine) as session:
        fresh = start_run(session, session.get(Region, region_id), None, now=now).id
    with db(engine) as session:
        old = session.get(MatchingRun, crashed)
        assert (old.status, old.error) == ("failed", STALE_ERROR)
        assert session.get(MatchingRun, fresh).status == "running"


def test_a_run_started_29_minutes_ago_still_blocks(engine):
    region_id, _ = kassel_world(engine)
    now = utcnow()
    with db(engine) as session:
        start_run(session, session.get(Region, region_id), None, now=now - timedelta(minutes=29))
    with db(engine) as session, pytest.raises(RunAlreadyRunning):
        start_run(session, session.get(Region, region_id), None, now=now)


def test_a_run_that_fails_is_marked_failed_and_keeps_the_old_suggestions(engine):
    region_id, alice_id = kassel_world(engine)
    run_now(engine, region_id, alice_id)
    before = {t.id for t in suggestions(engine, region_id)}

    def broken(instance):  # type: ignore[no-untyped-def]
        raise ValueError("the solver broke\n[SQL: a long second line]")

    failed = run_now(engine, region_id, alice_id, solve=broken)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error == ENGINE_ERROR  # a code the run page translates; details in the log
    assert {t.id for t in suggestions(engine, region_id)} == before


def test_a_run_declared_stale_meanwhile_does_not_overwrite_suggestions(engine):
    region_id, alice_id = kassel_world(engine)
    with db(engine) as session:
        run_id = start_run(session, session.get(Region, region_id), None, now=utcnow()).id

    def slow(instance):  # type: ignore[no-untyped-def]
        from matching import solve

        with db(engine) as session:
            session.get(MatchingRun, run_id).status = "failed"
        return solve(instance)

    execute_run(engine, run_id, today=TODAY, solve=slow)
    assert suggestions(engine, region_id) == []


def test_the_stage_is_visible_while_the_engine_works(engine):
    region_id, _ = kassel_world(engine)
    with db(engine) as session:
        run_id = start_run(session, session.get(Region, region_id), None, now=utcnow()).id
    seen = {}

    def watching(instance):  # type: ignore[no-untyped-def]
        from matching import solve

        with db(engine) as session:
            seen.update(session.get(MatchingRun, run_id).stats)
        return solve(instance)

    execute_run(engine, run_id, today=TODAY, solve=watching)
    assert seen == {"stage": "solving", "locals": 2, "newcomers": 3}


# --- command line -------------------------------------------------------------------------------


def test_tandem_match_runs_matching_for_a_region(database_url, engine):
    region_id, _ = kassel_world(engine)
    result = tandem_cli(
        "match", "--region", "kassel", "--today", "2026-11-26", database_url=database_url
    )
    assert result.returncode == 0, result.stderr
    line, *what_if = result.stdout.strip().splitlines()
    assert line.startswith("run 1 for kassel: 2 pairs, 1 unmatched, total score ")
    assert line.endswith(" s")
    # What each relaxation would achieve (the run page says it in words).
    assert what_if == [
        "what if level (A2): +0 newcomers matched",
        "what if radius (35 km): +0 newcomers matched",
        "what if online (online for all): +0 newcomers matched",
    ]
    assert len(suggestions(engine, region_id)) == 2
    with db(engine) as session:
        logged = session.scalars(select(AuditLog).where(AuditLog.action == "matching.run")).one()
        assert logged.actor_type == "system"


def test_tandem_match_with_an_unknown_region_is_one_clear_line(database_url, engine):
    kassel_world(engine)
    result = tandem_cli("match", "--region", "atlantis", database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.strip() == "tandem: error: unknown region: atlantis"
    assert result.stdout == ""


def test_tandem_match_refuses_while_a_run_is_running(database_url, engine):
    region_id, _ = kassel_world(engine)
    with db(engine) as session:
        start_run(session, session.get(Region, region_id), None, now=utcnow())
    result = tandem_cli("match", "--region", "kassel", database_url=database_url)
    assert result.returncode == 2
    assert result.stderr.startswith("tandem: error: matching is already running for kassel")
