"""proposal events for the funder report: kinds ``accepted`` and ``withdrawn``; the age group
and town of a sign-up (issue 15 §9)

Revision ID: 0006_coordexports
Revises: 0006_eventsdoor
Create Date: 2026-12-03 21:00:00.000000

``event.kind``'s check is recreated with the full list of kinds. A sign-up event gains its
age group (never the birth year) and its town (``place_id``), for "participants by age
group and area"; both stay anonymous and survive erasure like the rest of the event. The
downgrade drops both columns and deletes the events of the two new kinds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_coordexports"
down_revision: str | None = "0006_eventsdoor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = (
    "signed_up",
    "verified",
    "proposed",
    "started",
    "ended",
    "declined",
    "expired",
    "erased",
    "occ_held",  # 0006_signups
    "occ_attended",
)
NEW_KINDS = (*OLD_KINDS, "accepted", "withdrawn")
AGE_GROUPS = ("under_18", "18_29", "30_49", "50_64", "65_plus")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_event_kind"), _kinds(NEW_KINDS))
        batch_op.add_column(sa.Column("age_group", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("place_id", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_event_age_group"),
            "age_group IS NULL OR age_group IN ("
            + ", ".join(f"'{group}'" for group in AGE_GROUPS)
            + ")",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_event_place_id_place"),
            "place",
            ["place_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    event = sa.table("event", sa.column("kind", sa.String))
    op.execute(event.delete().where(event.c.kind.in_(("accepted", "withdrawn"))))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_place_id_place"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_event_age_group"), type_="check")
        batch_op.drop_column("place_id")
        batch_op.drop_column("age_group")
        batch_op.drop_constraint(op.f("ck_event_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_event_kind"), _kinds(OLD_KINDS))
