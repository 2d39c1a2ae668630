"""participant.search_text: names and e-mail folded for the coordinator's search (issue 15)

Revision ID: 0006_coordfind
Revises: 0006_coordproposals
Create Date: 2026-12-03 21:10:00.000000

On PostgreSQL the column gets a trigram index (``pg_trgm``, a trusted extension: any user
who may create objects in the database may enable it), so that "part of a word" does not
read every row; on SQLite a plain index. Existing rows are filled here with the same
folding as the application (a copy: migrations do not import the application).
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_coordfind"
down_revision: str | None = "0006_coordproposals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPECIAL = {"ß": "ss", "ẞ": "ss", "ı": "i", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"}
_SPECIAL |= {"đ": "d", "Đ": "d"}


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    for letter, plain in _SPECIAL.items():
        text = text.replace(letter, plain)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _search_text(*parts: str | None) -> str:
    return " ".join(_fold(part) for part in parts if part)[:420]


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_text", sa.String(length=420), nullable=False, server_default="")
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)
    connection = op.get_bind()
    participant = sa.table(
        "participant",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("email", sa.String),
        sa.column("search_text", sa.String),
    )
    rows = connection.execute(
        sa.select(
            participant.c.id,
            participant.c.first_name,
            participant.c.last_name,
            participant.c.email,
        )
    ).all()
    for pid, first, last, email in rows:
        connection.execute(
            participant.update()
            .where(participant.c.id == pid)
            .values(search_text=_search_text(first, last, email))
        )
    if connection.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_participant_search_text",
        "participant",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_participant_search_text", table_name="participant")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("search_text")
