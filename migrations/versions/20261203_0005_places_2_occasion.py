"""events (occasions) and the region's calendar tag (issue 17)

Revision ID: 0005_places_2
Revises: 0005_places
Create Date: 2026-12-03 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_places_2"
down_revision: str | None = "0005_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_tag", sa.String(length=60), nullable=True))
    op.create_table(
        "occasion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("meeting_place_id", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("repeat", sa.String(length=10), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("cancelled_dates", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "repeat IN ('once', 'weekly', 'monthly')", name=op.f("ck_occasion_repeat")
        ),
        sa.CheckConstraint(
            "audience IN ('everyone', 'newcomers', 'locals', 'tandems')",
            name=op.f("ck_occasion_audience"),
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name=op.f("ck_occasion_capacity")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_occasion_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["meeting_place_id"],
            ["meeting_place.id"],
            name=op.f("fk_occasion_meeting_place_id_meeting_place"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_occasion_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occasion")),
        sa.UniqueConstraint("uid", name=op.f("uq_occasion_uid")),
    )
    with op.batch_alter_table("occasion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_occasion_meeting_place_id"), ["meeting_place_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_occasion_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("occasion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_occasion_region_id"))
        batch_op.drop_index(batch_op.f("ix_occasion_meeting_place_id"))
    op.drop_table("occasion")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("calendar_tag")
