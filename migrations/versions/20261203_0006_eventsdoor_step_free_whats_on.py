"""participants' step-free need and monthly "what's on" e-mail; the link that switches
the e-mail off (issue 17)

Revision ID: 0006_eventsdoor
Revises: 0006_signups
Create Date: 2026-12-03 21:20:00.000000

The check on ``access_token.purpose`` spells its values out, so it is recreated with the
full list (``whats_on``; the event kinds of occasions came with 0006_signups). The
downgrade deletes the links of the new purpose first: the old check would refuse them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_eventsdoor"
down_revision: str | None = "0006_signups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PURPOSES = ("verify", "profile", "answer", "checkin")
NEW_PURPOSES = (*OLD_PURPOSES, "whats_on")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _checks(purposes: Sequence[str]) -> None:
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
    _checks(NEW_PURPOSES)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM access_token WHERE purpose = 'whats_on'"))
    _checks(OLD_PURPOSES)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("whats_on_month")
        batch_op.drop_column("whats_on_mail")
        batch_op.drop_column("needs_step_free")
