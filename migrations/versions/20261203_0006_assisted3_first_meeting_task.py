"""a contact task for the first meeting of a person without e-mail (issue 16)

Revision ID: 0006_assisted3
Revises: 0005_places_2
Create Date: 2026-12-03 21:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_assisted3"
down_revision: str | None = "0005_places_2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "proposal",
    "proposal_reminder",
    "proposal_closed",
    "tandem_started",
    "tandem_ended",
    "checkin",
    "retention_warning",
)
_NEW = ("first_meeting",)


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _replace_check(kinds: Sequence[str]) -> None:
    with op.batch_alter_table("contact_task") as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_task_kind"), type_="check")
    with op.batch_alter_table("contact_task") as batch_op:
        batch_op.create_check_constraint(op.f("ck_contact_task_kind"), _kinds(kinds))


def upgrade() -> None:
    _replace_check((*_KINDS, *_NEW))


def downgrade() -> None:
    op.execute(f"DELETE FROM contact_task WHERE kind IN ({', '.join(repr(k) for k in _NEW)})")  # noqa: S608 (constants)
    _replace_check(_KINDS)
