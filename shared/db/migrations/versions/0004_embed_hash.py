"""A hash of the text each passage embeds, so vectors are reused whenever that text is unchanged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "knowledge_passage",
        sa.Column("embed_hash", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("knowledge_passage", "embed_hash")
