"""meeting places per region and a tandem's first meeting, e-mail attachments (issue 17)

Revision ID: 0005_places
Revises: 0005_queue
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_places"
down_revision: str | None = "0005_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'library', 'cafe', 'community_centre', 'association', 'park', 'online', 'other'"


def upgrade() -> None:
    op.create_table(
        "meeting_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("street", sa.String(length=120), nullable=True),
        sa.Column("town_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("video_url", sa.String(length=300), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=False),
        sa.Column("costs", sa.Boolean(), nullable=False),
        sa.Column("staff_languages", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_meeting_place_kind")),
        sa.CheckConstraint(
            "(kind = 'online' AND video_url IS NOT NULL) OR "
            "(kind <> 'online' AND town_id IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL)",
            name=op.f("ck_meeting_place_where"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_meeting_place_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["town_id"],
            ["place.id"],
            name=op.f("fk_meeting_place_town_id_place"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_place")),
    )
    with op.batch_alter_table("meeting_place", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_place_region_id"), ["region_id"], unique=False)
    op.create_table(
        "first_meeting",
        sa.Column("tandem_id", sa.Integer(), nullable=False),
        sa.Column("meeting_place_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tandem_id"],
            ["tandem.id"],
            name=op.f("fk_first_meeting_tandem_id_tandem"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_place_id"],
            ["meeting_place.id"],
            name=op.f("fk_first_meeting_meeting_place_id_meeting_place"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"],
            ["coordinator.id"],
            name=op.f("fk_first_meeting_chosen_by_id_coordinator"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tandem_id", name=op.f("pk_first_meeting")),
    )
    with op.batch_alter_table("first_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_first_meeting_meeting_place_id"), ["meeting_place_id"], unique=False
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("attachment_type", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("attachment_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("attachment_data")
        batch_op.drop_column("attachment_type")
        batch_op.drop_column("attachment_name")
    with op.batch_alter_table("first_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_first_meeting_meeting_place_id"))
    op.drop_table("first_meeting")
    with op.batch_alter_table("meeting_place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_place_region_id"))
    op.drop_table("meeting_place")
