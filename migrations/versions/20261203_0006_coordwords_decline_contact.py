"""a declined sign-up's reason and time (undo for a while), the region's contact for the
signature of e-mails, and the contact task for telling a person without e-mail that their
sign-up was declined (issue 15 §3, §4)

Revision ID: 0006_coordwords
Revises: 0006_coordfind
Create Date: 2026-12-03 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_coordwords"
down_revision: str | None = "0006_coordfind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TASK_KINDS_BEFORE = (
    "proposal",
    "proposal_reminder",
    "proposal_closed",
    "tandem_started",
    "tandem_ended",
    "checkin",
    "retention_warning",
    "first_meeting",  # 0006_assisted3
    "ask_online",  # 0006_coordwhatif
    "event_moved_up",  # 0006_signups
    "event_reminder",
)
TASK_KINDS = (*TASK_KINDS_BEFORE, "signup_declined")
DECLINE_REASONS = ("outside_region", "duplicate", "unreachable", "not_a_fit", "other")


def _one_of(column: str, values: Sequence[str], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


def _task_kinds(values: Sequence[str]) -> None:
    with op.batch_alter_table("contact_task", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_contact_task_kind"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_contact_task_kind"), _one_of("kind", values)
        )


def upgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("declined_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decline_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("decline_note", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_participant_declined_by_id_coordinator"),
            "coordinator",
            ["declined_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_participant_decline_reason"),
            _one_of("decline_reason", DECLINE_REASONS, nullable=True),
        )
    _task_kinds(TASK_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM contact_task WHERE kind = 'signup_declined'")
    _task_kinds(TASK_KINDS_BEFORE)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_participant_decline_reason"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_participant_declined_by_id_coordinator"), type_="foreignkey"
        )
        batch_op.drop_column("decline_note")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("declined_by_id")
        batch_op.drop_column("declined_at")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("contact_name")
