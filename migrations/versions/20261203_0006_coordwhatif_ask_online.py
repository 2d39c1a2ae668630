"""contact tasks: ask a person without e-mail whether they would meet online (issue 15 §6)

Revision ID: 0006_coordwhatif
Revises: 0006_assisted3
Create Date: 2026-12-03 21:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_coordwhatif"
down_revision: str | None = "0006_assisted3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = (
    "proposal",
    "proposal_reminder",
    "proposal_closed",
    "tandem_started",
    "tandem_ended",
    "checkin",
    "retention_warning",
    "first_meeting",  # 0006_assisted3
)
NEW_KINDS = (*OLD_KINDS, "ask_online")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))


def upgrade() -> None:
    with op.batch_alter_table("contact_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_task_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_contact_task_kind"), _kinds(NEW_KINDS))


def downgrade() -> None:
    op.execute("DELETE FROM contact_task WHERE kind = 'ask_online'")
    with op.batch_alter_table("contact_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_task_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_contact_task_kind"), _kinds(OLD_KINDS))
