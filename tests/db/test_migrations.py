"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

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
