"""audit log: the one update allowed is an erasure's anonymisation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:00:00.000000

The audit log stays append-only, except that erasing a person may drop who they
were from rows about them (``participants.erase``): ``actor_id`` may become NULL and
``subject_id`` may become 'erased'. Every other change is still refused.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The row is unchanged except for the person it names. ``{same}`` is the dialect's
# null-safe equality: a NULL must not make the check unknown (and so pass).
_ONLY_ANONYMISED = """
    NEW.id {same} OLD.id AND NEW.at {same} OLD.at AND NEW.action {same} OLD.action
    AND NEW.actor_type {same} OLD.actor_type AND NEW.subject_type {same} OLD.subject_type
    AND (NEW.actor_id IS NULL OR NEW.actor_id {same} OLD.actor_id)
    AND (NEW.subject_id {same} 'erased' OR NEW.subject_id {same} OLD.subject_id)
"""
OLD_SQLITE = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""
NEW_SQLITE = f"""
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
WHEN NOT ({_ONLY_ANONYMISED.format(same="IS")})
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""
OLD_POSTGRESQL = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql
"""
NEW_POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF {_ONLY_ANONYMISED.format(same="IS NOT DISTINCT FROM")} THEN RETURN NEW; END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$ LANGUAGE plpgsql
"""


def _replace(sqlite: str, postgresql: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(postgresql)  # the trigger calls the function by name: it stays
    else:
        op.execute("DROP TRIGGER audit_log_append_only")
        op.execute(sqlite)


def upgrade() -> None:
    _replace(NEW_SQLITE, NEW_POSTGRESQL)


def downgrade() -> None:
    _replace(OLD_SQLITE, OLD_POSTGRESQL)
