"""participants' step-free need and monthly "what's on" e-mail; event kinds of occasions;
the link that switches the e-mail off (issue 17)

Revision ID: 0006_eventsdoor
Revises: 0005_places_2
Create Date: 2026-12-03 21:20:00.000000

The checks on ``event.kind`` and ``access_token.purpose`` spell their values out, so both
are recreated with the full lists (``occ_held``, ``occ_attended``; ``whats_on``). The
downgrade deletes the rows of the new kinds first: the old checks would refuse them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_eventsdoor"
down_revision: str | None = "0005_places_2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("signed_up", "verified", "proposed", "started", "ended", "declined", "expired",
             "erased")  # fmt: skip
NEW_KINDS = (*OLD_KINDS, "occ_held", "occ_attended")
OLD_PURPOSES = ("verify", "profile", "answer", "checkin")
NEW_PURPOSES = (*OLD_PURPOSES, "whats_on")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _checks(kinds: Sequence[str], purposes: Sequence[str]) -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_event_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_event_kind"), _one_of("kind", kinds))
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_access_token_purpose"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_access_token_purpose"), _one_of("purpose", purposes)
        )


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "needs_step_free", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )  # fmt: skip
        )
        batch_op.add_column(
            sa.Column(
                "whats_on_mail", sa.Boolean(), server_default=sa.text("true"), nullable=False
            )  # fmt: skip
        )
        batch_op.add_column(sa.Column("whats_on_month", sa.String(length=7), nullable=True))
    _checks(NEW_KINDS, NEW_PURPOSES)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM event WHERE kind IN ('occ_held', 'occ_attended')"))
    op.execute(sa.text("DELETE FROM access_token WHERE purpose = 'whats_on'"))
    _checks(OLD_KINDS, OLD_PURPOSES)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("whats_on_month")
        batch_op.drop_column("whats_on_mail")
        batch_op.drop_column("needs_step_free")
