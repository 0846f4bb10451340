"""A lab report's reading progress (percent), shown while it is polled.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lab_report",
        sa.Column("progress", sa.SmallInteger, nullable=False, server_default="0"),
    )
    # Reports that already have an outcome were read to the end.
    op.execute("UPDATE lab_report SET progress = 100 WHERE status NOT IN ('queued', 'processing')")


def downgrade() -> None:
    op.drop_column("lab_report", "progress")
