"""Ingested documents, passages per collection, pgvector embeddings and citation counts.

The `passage_embedding` table needs the pgvector extension; a Postgres without it (an external
server that lacks the package) gets every other table, and retrieval stays lexical.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")
DEFAULT_COLLECTION = "kb"


def _vector_available() -> bool:
    found = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
    )
    return bool(found)


def _documents() -> None:
    op.create_table(
        "kb_document",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("passages", sa.Integer, nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.UniqueConstraint("collection", "source_key", name="uq_kb_document_source"),
    )


def _passages() -> None:
    op.add_column(
        "knowledge_passage",
        sa.Column("collection", sa.String(64), nullable=False, server_default=DEFAULT_COLLECTION),
    )
    op.add_column(
        "knowledge_passage",
        sa.Column("document_id", UUID(as_uuid=True), nullable=True),
    )
    op.add_column(
        "knowledge_passage",
        sa.Column("content_hash", sa.String(64), nullable=False, server_default=""),
    )
    op.drop_constraint("knowledge_passage_pkey", "knowledge_passage", type_="primary")
    op.create_primary_key("knowledge_passage_pkey", "knowledge_passage", ["collection", "id"])
    op.create_foreign_key(
        "fk_knowledge_passage_document",
        "knowledge_passage",
        "kb_document",
        ["document_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_knowledge_passage_document", "knowledge_passage", ["document_id"])


def _usage() -> None:
    op.create_table(
        "document_usage",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("passage_id", sa.String(128), primary_key=True),
        sa.Column("citations", sa.BigInteger, nullable=False),
        sa.Column("last_cited_at", sa.DateTime(timezone=True), nullable=False),
    )


def _embeddings() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(
        """
        CREATE TABLE passage_embedding (
            collection varchar(64) NOT NULL,
            passage_id varchar(128) NOT NULL,
            model varchar(128) NOT NULL,
            embedding vector NOT NULL,
            PRIMARY KEY (collection, passage_id, model),
            FOREIGN KEY (collection, passage_id)
                REFERENCES knowledge_passage (collection, id) ON DELETE CASCADE
        )
        """
    )


def upgrade() -> None:
    _documents()
    _passages()
    _usage()
    if _vector_available():
        _embeddings()


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS passage_embedding")
    op.drop_table("document_usage")
    op.drop_index("ix_knowledge_passage_document", "knowledge_passage")
    op.drop_constraint("fk_knowledge_passage_document", "knowledge_passage", type_="foreignkey")
    op.execute(f"DELETE FROM knowledge_passage WHERE collection <> '{DEFAULT_COLLECTION}'")
    op.drop_constraint("knowledge_passage_pkey", "knowledge_passage", type_="primary")
    op.create_primary_key("knowledge_passage_pkey", "knowledge_passage", ["id"])
    op.drop_column("knowledge_passage", "content_hash")
    op.drop_column("knowledge_passage", "document_id")
    op.drop_column("knowledge_passage", "collection")
    op.drop_table("kb_document")
