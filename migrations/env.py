"""Alembic environment: the URL comes from Tandem's settings (or the caller's config)."""

from __future__ import annotations

from alembic import context

import web.core.models  # noqa: F401  (registers every table on the metadata)
from web.core.db import create_db_engine
from web.core.models import UTCDateTime, metadata
from web.core.settings import Settings

config = context.config


def database_url() -> str:
    return config.attributes.get("database_url") or Settings().database_url


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    # Migrations must not import app code: spell our column type as plain SQLAlchemy.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(**kwargs) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Foreign keys off while migrating: batch mode recreates SQLite tables,
    # which would otherwise cascade deletes into their children.
    engine = create_db_engine(database_url(), foreign_keys=False)
    try:
        with engine.connect() as connection:
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
