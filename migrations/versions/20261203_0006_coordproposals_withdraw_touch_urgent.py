"""proposals withdrawn, partners put in touch by hand, urgent problem reports (issue 15 §5)

Revision ID: 0006_coordproposals
Revises: 0006_coordexports
Create Date: 2026-12-03 21:00:00.000000

A coordinator may withdraw a proposal (tandem status ``withdrawn``, with when, by whom
and a reason from ``WITHDRAW_REASONS``); a tandem whose partners did not both agree to
pass on their contact details carries a "put them in touch" task until it is done; a
problem report can be urgent, and handling one records what was done; a partner who
says no may tell why (``PROPOSAL_DECLINE_REASONS``). The status check
and the partial unique index "one open tandem per newcomer" are recreated around the
batch (SQLite rebuilds the table). The downgrade turns withdrawn proposals into expired
ones (the nearest old status) before the check is narrowed again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_coordproposals"
down_revision: str | None = "0006_coordexports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("suggested", "proposed", "active", "paused", "ended", "rejected", "declined", "expired")
_AFTER = (*_BEFORE, "withdrawn")
_OPEN = ("proposed", "active", "paused")
_REASONS = ("unavailable", "known_issue", "better_fit", "mistake", "other")
_DECLINE_REASONS = ("times", "distance", "no_time", "other")
tandem = sa.table("tandem", sa.column("status", sa.String))


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _open_index() -> None:
    open_statuses = sa.text(f"status IN ({_quoted(_OPEN)})")
    op.create_index(
        "uq_tandem_open_newcomer",
        "tandem",
        ["newcomer_id"],
        unique=True,
        sqlite_where=open_statuses,
        postgresql_where=open_statuses,
    )


def upgrade() -> None:
    op.drop_index("uq_tandem_open_newcomer", table_name="tandem")
    with op.batch_alter_table("tandem", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tandem_status"), type_="check")
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdraw_reason", sa.String(length=20), nullable=True))
        for side in ("local", "newcomer"):
            batch_op.add_column(
                sa.Column(f"{side}_decline_reason", sa.String(length=20), nullable=True)
            )
        batch_op.add_column(
            sa.Column("put_in_touch_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("put_in_touch_done_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("put_in_touch_done_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tandem_withdrawn_by_id_coordinator"),
            "coordinator",
            ["withdrawn_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tandem_put_in_touch_done_by_id_coordinator"),
            "coordinator",
            ["put_in_touch_done_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(op.f("ck_tandem_status"), f"status IN ({_quoted(_AFTER)})")
        batch_op.create_check_constraint(
            op.f("ck_tandem_withdraw_reason"),
            f"withdraw_reason IS NULL OR withdraw_reason IN ({_quoted(_REASONS)})",
        )
        for side in ("local", "newcomer"):
            column = f"{side}_decline_reason"
            batch_op.create_check_constraint(
                op.f(f"ck_tandem_{column}"),
                f"{column} IS NULL OR {column} IN ({_quoted(_DECLINE_REASONS)})",
            )
    _open_index()
    with op.batch_alter_table("problem_report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("handled_note", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("problem_report", schema=None) as batch_op:
        batch_op.drop_column("handled_note")
        batch_op.drop_column("urgent")
    op.drop_index("uq_tandem_open_newcomer", table_name="tandem")
    with op.batch_alter_table("tandem", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tandem_withdraw_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_tandem_local_decline_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_tandem_newcomer_decline_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_tandem_status"), type_="check")
    op.execute(tandem.update().where(tandem.c.status == "withdrawn").values(status="expired"))
    with op.batch_alter_table("tandem", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_tandem_status"), f"status IN ({_quoted(_BEFORE)})"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_tandem_put_in_touch_done_by_id_coordinator"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_tandem_withdrawn_by_id_coordinator"), type_="foreignkey"
        )
        batch_op.drop_column("put_in_touch_done_by_id")
        batch_op.drop_column("put_in_touch_done_at")
        batch_op.drop_column("put_in_touch_since")
        batch_op.drop_column("newcomer_decline_reason")
        batch_op.drop_column("local_decline_reason")
        batch_op.drop_column("withdraw_reason")
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_at")
    _open_index()
