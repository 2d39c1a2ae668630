"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import POSTGRES_URL, reset_postgres_schema
from web.cli import alembic_config
from web.core.db import create_db_engine
from web.core.models import metadata


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        reset_postgres_schema(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'empty.db'}"


def table_names(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_there_is_exactly_one_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_an_empty_database_upgrades_down_and_up_again(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    assert table_names(empty_database_url) >= {table.name for table in metadata.sorted_tables}
    command.downgrade(config, "base")
    assert table_names(empty_database_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    # The models and the migrations describe the same schema.
    command.check(config)


# --- 0005_names: one name per feature (issue 14) ------------------------------------------------

NOW = "2026-12-03 12:00:00+00:00"


def _seed_before_the_renames(url: str) -> None:
    """At 0004: a proposal (``confirmed``), a pinned suggestion (``locked``, reason code
    ``locked``), a ``lock`` rule and a run whose stats count ``locked_pairs``."""
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            run = connection.execute
            run(
                text(
                    "INSERT INTO region (id, slug, name, weights, min_level, max_distance_km) "
                    "VALUES (1, 'kassel', 'Kassel', '{}', 'A2', 30)"
                )
            )
            run(
                text(
                    "INSERT INTO place (id, geonameid, name, lat, lon, population, region_id) "
                    "VALUES (1, 2892518, 'Kassel', 51.3, 9.5, 200000, 1)"
                )
            )
            for pid, (role, name) in enumerate(
                [("local", "Lena"), ("newcomer", "Nour"), ("newcomer", "Omar")], start=1
            ):
                run(
                    text(
                        "INSERT INTO participant (id, public_id, role, status, first_name, email, "
                        "locale, place_id, online_ok, partner_genders, birth_year, capacity, "
                        "open_tandems, learning, interests, help_topics, slots, created_at, "
                        "updated_at) VALUES (:id, :pub, :role, 'active', :name, :email, 'de', 1, "
                        "false, '[]', 1990, 1, 0, '[]', '[]', '[]', '[]', :now, :now)"
                    ),
                    {
                        "id": pid,
                        "pub": f"p{pid}",
                        "role": role,
                        "name": name,
                        "email": f"{name.lower()}@example.org",
                        "now": NOW,
                    },
                )
            run(
                text(
                    "INSERT INTO tandem (id, public_id, local_id, newcomer_id, region_id, status, "
                    "components, reasons, locked, created_at, manual) VALUES "
                    "(1, 't1', 1, 2, 1, 'confirmed', '{}', '[]', false, :now, false), "
                    "(2, 't2', 1, 3, 1, 'suggested', '{}', :reasons, true, :now, true)"
                ),
                {"now": NOW, "reasons": '[{"code": "locked"}, {"code": "interests", "items": []}]'},
            )
            run(
                text(
                    "INSERT INTO pair_rule (id, region_id, local_id, newcomer_id, kind, "
                    "created_at) VALUES (1, 1, 1, 3, 'lock', :now)"
                ),
                {"now": NOW},
            )
            run(
                text(
                    "INSERT INTO matching_run (id, region_id, status, started_at, settings, "
                    "stats) VALUES (1, 1, 'done', :now, '{}', :stats)"
                ),
                {
                    "now": NOW,
                    "stats": '{"stage": "done", "stats": {"locked_pairs": 1, "pairs": 2}}',
                },
            )
    finally:
        engine.dispose()


_PINNED_OF_T2 = {
    "pinned": "SELECT pinned FROM tandem WHERE id = 2",
    "locked": "SELECT locked FROM tandem WHERE id = 2",
}


def _stored(url: str) -> dict[str, object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            one = connection.execute
            pinned_column = (
                "pinned"
                if "pinned"
                in {column["name"] for column in inspect(connection).get_columns("tandem")}
                else "locked"
            )
            statuses = one(text("SELECT status FROM tandem ORDER BY id")).scalars().all()
            pinned = one(text(_PINNED_OF_T2[pinned_column])).scalar()
            reasons = one(text("SELECT reasons FROM tandem WHERE id = 2")).scalar()
            stats = one(text("SELECT stats FROM matching_run WHERE id = 1")).scalar()
            return {
                "statuses": statuses,
                "pinned column": pinned_column,
                "pinned": bool(pinned),
                "codes": [reason["code"] for reason in _json(reasons)],
                "rule": one(text("SELECT kind FROM pair_rule WHERE id = 1")).scalar(),
                "stats": _json(stats)["stats"],
            }
    finally:
        engine.dispose()


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _refused(url: str, statement: str, **values: object) -> bool:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), {"now": NOW, **values})
    except IntegrityError:
        return True
    finally:
        engine.dispose()
    return False


_INSERT_TANDEM = (
    "INSERT INTO tandem (id, public_id, local_id, newcomer_id, region_id, status, components, "
    "reasons, {pinned}, created_at, manual) VALUES "
    "(:id, :public_id, 1, 2, 1, :status, '{{}}', '[]', false, :now, false)"
)
_SECOND_TANDEM_OF_NOUR = {
    "pinned": _INSERT_TANDEM.format(pinned="pinned"),
    "locked": _INSERT_TANDEM.format(pinned="locked"),
}


def test_the_renames_keep_stored_rows_both_ways(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0004")
    _seed_before_the_renames(empty_database_url)

    command.upgrade(config, "head")
    assert _stored(empty_database_url) == {
        "statuses": ["proposed", "suggested"],
        "pinned column": "pinned",
        "pinned": True,
        "codes": ["pinned", "interests"],
        "rule": "pin",
        "stats": {"pinned_pairs": 1, "pairs": 2},
    }
    # The recreated check and the partial unique index speak the new words.
    assert _refused(empty_database_url, "UPDATE pair_rule SET kind = 'lock'")
    assert _refused(empty_database_url, "UPDATE tandem SET status = 'confirmed' WHERE id = 1")
    # Nour, in the proposal, cannot be in a second open tandem (an ended one is fine).
    assert _refused(
        empty_database_url, _SECOND_TANDEM_OF_NOUR["pinned"], id=3, public_id="t3", status="active"
    )
    assert not _refused(
        empty_database_url, _SECOND_TANDEM_OF_NOUR["pinned"], id=4, public_id="t4", status="ended"
    )

    command.downgrade(config, "0004")
    assert _stored(empty_database_url) == {
        "statuses": ["confirmed", "suggested", "ended"],
        "pinned column": "locked",
        "pinned": True,
        "codes": ["locked", "interests"],
        "rule": "lock",
        "stats": {"locked_pairs": 1, "pairs": 2},
    }
    assert _refused(empty_database_url, "UPDATE tandem SET status = 'proposed' WHERE id = 1")
    assert _refused(empty_database_url, "UPDATE pair_rule SET kind = 'pin'")
    assert _refused(
        empty_database_url, _SECOND_TANDEM_OF_NOUR["locked"], id=5, public_id="t5", status="active"
    )
    assert not _refused(
        empty_database_url, _SECOND_TANDEM_OF_NOUR["locked"], id=6, public_id="t6", status="ended"
    )
    # And up again: on PostgreSQL the tests after this one share the database.
    command.upgrade(config, "head")
    assert _stored(empty_database_url)["statuses"] == ["proposed", "suggested", "ended", "ended"]
