"""Sessions, conversations, messages and knowledge passages.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=NOW),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "conversation",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "session_id",
            UUID(as_uuid=True),
            sa.ForeignKey("user_session.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=NOW),
    )
    op.create_table(
        "message",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "conversation_id",
            UUID(as_uuid=True),
            sa.ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("job_id", sa.String(64)),
        sa.Column("answer_mode", sa.String(16)),
        sa.Column("citations", JSONB, nullable=False),
        sa.Column("suggestions", JSONB, nullable=False),
        sa.Column("timings", JSONB, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=NOW),
        sa.UniqueConstraint("job_id", "role", name="uq_message_job_role"),
    )
    op.create_table(
        "knowledge_passage",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("question_type", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_passage")
    op.drop_table("message")
    op.drop_table("conversation")
    op.drop_table("user_session")
