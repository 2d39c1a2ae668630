from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tests.builders import db, make_participant, make_region
from web.core.models import AuditLog, Event, OutboxMessage, Participant, Tandem, Vetting, utcnow
from web.ops.retention import purge

NOW = utcnow()


def world(engine):  # type: ignore[no-untyped-def]
    """One of each case, named by what should happen to them."""
    with db(engine) as session:
        kassel = make_region(session, "kassel")
        old = NOW - timedelta(days=400)

        def person(name: str, **values):  # type: ignore[no-untyped-def]
            return make_participant(session, kassel, first_name=name, **values)

        people = {
            "fresh_unverified": person(
                "A", status="unverified", created_at=NOW - timedelta(days=3)
            ),
            "stale_unverified": person(
                "B", status="unverified", created_at=NOW - timedelta(days=15)
            ),
            "active": person("C", updated_at=NOW - timedelta(days=10)),
            "idle": person("D", updated_at=old),
            "idle_warned_long_ago": person(
                "E", updated_at=old, retention_warned_at=NOW - timedelta(days=31)
            ),
            "idle_warned_lately": person(
                "F", updated_at=old, retention_warned_at=NOW - timedelta(days=5)
            ),
            "idle_in_tandem": person("G", updated_at=old),
            "local_done": person(
                "H", role="local", status="withdrawn", updated_at=NOW - timedelta(days=100)
            ),
            "local_busy": person("I", role="local", updated_at=NOW - timedelta(days=5)),
        }
        session.add(
            Tandem(
                local_id=people["local_busy"].id,
                newcomer_id=people["idle_in_tandem"].id,
                region_id=kassel.id,
                status="active",
            )
        )
        for key in ("local_done", "local_busy"):
            session.add(
                Vetting(
                    local_id=people[key].id,
                    certificate_date=date(2025, 1, 1),
                    seen_on=date(2025, 1, 2),
                )
            )
        return {key: p.public_id for key, p in people.items()}


def remaining(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with db(engine) as session:
        return set(session.scalars(select(Participant.public_id)))


def test_a_dry_run_lists_and_changes_nothing(engine, settings):
    ids = world(engine)
    with db(engine) as session:
        report = purge(session, settings=settings, now=NOW, dry_run=True)
    assert report.erased_unverified == [ids["stale_unverified"]]
    assert sorted(report.warned) == sorted([ids["idle"]])
    assert report.erased_inactive == [ids["idle_warned_long_ago"]]
    assert report.vetting_deleted == [ids["local_done"]]
    assert remaining(engine) == set(ids.values())
    with db(engine) as session:
        assert session.scalars(select(OutboxMessage)).all() == []
        assert len(session.scalars(select(Vetting)).all()) == 2


def test_purge_erases_warns_and_deletes_exactly_the_expected(engine, settings):
    ids = world(engine)
    with db(engine) as session:
        purge(session, settings=settings, now=NOW, dry_run=False)
    gone = {ids["stale_unverified"], ids["idle_warned_long_ago"]}
    assert remaining(engine) == set(ids.values()) - gone
    with db(engine) as session:
        warned = session.scalars(
            select(Participant).where(Participant.public_id == ids["idle"])
        ).one()
        assert warned.retention_warned_at == NOW
        [mail] = session.scalars(select(OutboxMessage)).all()
        assert mail.kind == "retention_warning" and mail.participant_id == warned.id
        vetted = {
            session.get(Participant, v.local_id).public_id for v in session.scalars(select(Vetting))
        }
        assert vetted == {ids["local_busy"]}
        actions = sorted(session.scalars(select(AuditLog.action)).all())
        assert actions.count("participant.erased") == 2
        assert "retention.warned" in actions and "retention.vetting_deleted" in actions
        assert sorted(session.scalars(select(Event.kind)).all()) == ["erased", "erased"]
    # A second run the same day changes nothing more.
    with db(engine) as session:
        again = purge(session, settings=settings, now=NOW, dry_run=False)
    assert again.lines()[0].startswith("unconfirmed sign-ups erased: 0")
    assert again.warned == [] and again.erased_inactive == []


def test_the_cli_dry_run_prints_counts(database_url, engine):
    from tests.builders import tandem

    world(engine)
    result = tandem("purge", "--dry-run", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing changed" in result.stdout
    assert "unconfirmed sign-ups erased: 1" in result.stdout
    assert len(remaining(engine)) == 9


def test_purge_deletes_expired_sessions_and_keeps_live_ones(engine, settings):
    from web.core.models import StoreEntry

    with db(engine) as session:
        for key, expires_at in (
            ("gone", NOW - timedelta(minutes=1)),
            ("live", NOW + timedelta(minutes=29)),
            ("forever", None),
        ):
            session.add(
                StoreEntry(namespace="session", key=key, value=b"{}", expires_at=expires_at)
            )
    with db(engine) as session:
        listed = purge(session, settings=settings, now=NOW, dry_run=True)
    assert "expired sessions deleted: 1" in listed.lines()
    with db(engine) as session:
        assert purge(session, settings=settings, now=NOW, dry_run=False).sessions_deleted == 1
    with db(engine) as session:
        assert sorted(session.scalars(select(StoreEntry.key))) == ["forever", "live"]
