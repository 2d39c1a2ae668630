"""job queue: a matching run's heartbeat, failed jobs, claims of periodic jobs

Revision ID: 0005_queue
Revises: 0005_assisted
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_queue"
down_revision: str | None = "0005_assisted"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("matching_run") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "failed_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_job")),
    )
    op.create_index(op.f("ix_failed_job_failed_at"), "failed_job", ["failed_at"])
    op.create_table(
        "job_claim",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "period", name=op.f("pk_job_claim")),
    )
    op.create_index(op.f("ix_job_claim_claimed_at"), "job_claim", ["claimed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_claim_claimed_at"), table_name="job_claim")
    op.drop_table("job_claim")
    op.drop_index(op.f("ix_failed_job_failed_at"), table_name="failed_job")
    op.drop_table("failed_job")
    with op.batch_alter_table("matching_run") as batch:
        batch.drop_column("heartbeat_at")
