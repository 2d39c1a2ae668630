"""one word for a pinned pair: pair_rule.kind ``pin`` (was ``lock``), tandem.pinned (was locked)

Revision ID: 0005_names_2
Revises: 0005_names
Create Date: 2026-12-03 17:30:00.000000

One name per feature (issue 14): the web pages, the URLs and the engine all say "pin".
Besides the rule kind and the column, the engine's words stored with a run's output
are renamed: the reason code ``locked`` in ``tandem.reasons`` and the statistic
``locked_pairs`` in ``matching_run.stats``. The downgrade renames everything back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_names_2"
down_revision: str | None = "0005_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

pair_rule = sa.table("pair_rule", sa.column("kind", sa.String))
tandem = sa.table("tandem", sa.column("id", sa.Integer), sa.column("reasons", sa.JSON))
matching_run = sa.table("matching_run", sa.column("id", sa.Integer), sa.column("stats", sa.JSON))


def _rename_kind(old: str, new: str) -> None:
    with op.batch_alter_table("pair_rule") as batch_op:
        batch_op.drop_constraint(op.f("ck_pair_rule_kind"), type_="check")
    op.execute(pair_rule.update().where(pair_rule.c.kind == old).values(kind=new))
    with op.batch_alter_table("pair_rule") as batch_op:
        batch_op.create_check_constraint(op.f("ck_pair_rule_kind"), f"kind IN ('{new}', 'forbid')")


def _rename_engine_words(old: str, new: str) -> None:
    """The reason code ``old`` → ``new`` and the statistic ``old_pairs`` → ``new_pairs``."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tandem.c.id, tandem.c.reasons).where(
            sa.cast(tandem.c.reasons, sa.Text).like(f'%"{old}"%')
        )
    ).all()
    for row_id, reasons in rows:
        renamed = [
            {**reason, "code": new} if isinstance(reason, dict) and reason.get("code") == old
            else reason
            for reason in reasons or []
        ]  # fmt: skip
        connection.execute(tandem.update().where(tandem.c.id == row_id).values(reasons=renamed))
    runs = connection.execute(
        sa.select(matching_run.c.id, matching_run.c.stats).where(
            sa.cast(matching_run.c.stats, sa.Text).like(f'%"{old}_pairs"%')
        )
    ).all()
    for row_id, stats in runs:
        engine_stats = dict(stats.get("stats") or {})
        if f"{old}_pairs" not in engine_stats:
            continue  # the LIKE's "_" matches any character
        engine_stats[f"{new}_pairs"] = engine_stats.pop(f"{old}_pairs")
        connection.execute(
            matching_run.update()
            .where(matching_run.c.id == row_id)
            .values(stats={**stats, "stats": engine_stats})
        )


def upgrade() -> None:
    _rename_kind("lock", "pin")
    with op.batch_alter_table("tandem") as batch_op:
        batch_op.alter_column("locked", new_column_name="pinned")
    _rename_engine_words("locked", "pinned")


def downgrade() -> None:
    _rename_engine_words("pinned", "locked")
    with op.batch_alter_table("tandem") as batch_op:
        batch_op.alter_column("pinned", new_column_name="locked")
    _rename_kind("pin", "lock")
