"""tandem status: a sent proposal is ``proposed`` (was ``confirmed``)

Revision ID: 0005_names
Revises: 0004
Create Date: 2026-12-03 17:30:00.000000

One name per feature (issue 14): the status of a tandem a coordinator said yes to,
waiting for both partners' answers, is called what it is. Stored rows are renamed;
the status check and the partial unique index "one open tandem per newcomer", which
both spell the statuses out, are recreated. The downgrade renames the rows back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_names"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OTHER = ("suggested", "{sent}", "active", "paused", "ended", "rejected", "declined", "expired")
_OPEN = ("{sent}", "active", "paused")

tandem = sa.table("tandem", sa.column("status", sa.String))


def _quoted(values: Sequence[str], sent: str) -> str:
    return ", ".join(f"'{value.format(sent=sent)}'" for value in values)


def _rename(old: str, new: str) -> None:
    op.drop_index("uq_tandem_open_newcomer", table_name="tandem")
    with op.batch_alter_table("tandem") as batch_op:
        batch_op.drop_constraint(op.f("ck_tandem_status"), type_="check")
    op.execute(tandem.update().where(tandem.c.status == old).values(status=new))
    with op.batch_alter_table("tandem") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_tandem_status"), f"status IN ({_quoted(_OTHER, new)})"
        )
    open_statuses = sa.text(f"status IN ({_quoted(_OPEN, new)})")
    op.create_index(
        "uq_tandem_open_newcomer",
        "tandem",
        ["newcomer_id"],
        unique=True,
        sqlite_where=open_statuses,
        postgresql_where=open_statuses,
    )


def upgrade() -> None:
    _rename("confirmed", "proposed")


def downgrade() -> None:
    _rename("proposed", "confirmed")
