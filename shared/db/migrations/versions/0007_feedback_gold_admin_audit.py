"""Ratings of answers (1 to 5 stars and a reason, one per message), gold answers made from
5-star answers, the audit of admin requests, and messages indexed by time for the dashboards.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("message", sa.Column("rating", sa.SmallInteger, nullable=True))
    op.add_column("message", sa.Column("rating_reason", sa.Text, nullable=True))
    op.add_column("message", sa.Column("rated_at", TIMESTAMP, nullable=True))
    op.create_check_constraint("ck_message_rating", "message", "rating BETWEEN 1 AND 5")
    op.create_index(
        "ix_message_rating", "message", ["rating"], postgresql_where=sa.text("rating IS NOT NULL")
    )
    op.create_index("ix_message_created_at", "message", ["created_at"])  # the admin dashboards
    op.create_table(
        "gold_answer",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "message_id",
            sa.Uuid,
            sa.ForeignKey("message.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("kb_version", sa.String(64), nullable=False),
        sa.Column("embedder", sa.String(128), nullable=True),
        sa.Column("embedding", JSONB, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", TIMESTAMP, nullable=False, index=True),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_audit")
    op.drop_table("gold_answer")
    op.drop_index("ix_message_created_at", "message")
    op.drop_index("ix_message_rating", "message")
    op.drop_constraint("ck_message_rating", "message")
    op.drop_column("message", "rated_at")
    op.drop_column("message", "rating_reason")
    op.drop_column("message", "rating")
