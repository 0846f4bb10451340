"""SQLModel tables: sessions, conversations, messages, lab reports and the knowledge base."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user_session.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = _timestamp()


# The key of an analysis answer's audit that names the lab report it explains.
ANALYSED_REPORT = "report_id"


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("job_id", "role", name="uq_message_job_role"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_message_rating"),
        Index("ix_message_rating", "rating", postgresql_where=text("rating IS NOT NULL")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    conversation_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: Role = Field(sa_type=String(16))
    content: str = Field(sa_type=Text)
    language: str = Field(sa_type=String(8))
    # The job that asked (user) or answered (assistant); unique per role, so re-runs write once.
    job_id: str | None = Field(default=None, sa_type=String(64))
    answer_mode: str | None = Field(default=None, sa_type=String(16))
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    suggestions: list[str] = Field(default_factory=list, sa_type=JSONB)
    timings: dict[str, float] = Field(default_factory=dict, sa_type=JSONB)
    # How the answer was made: retrieval ids and scores, models after fallback, retries, cache.
    audit: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: datetime = _timestamp(index=True)
    # The asker's rating of an answer (`POST /v1/feedback`): changeable, so one per message.
    rating: int | None = Field(default=None, sa_type=SmallInteger)
    rating_reason: str | None = Field(default=None, sa_type=Text)
    rated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class KnowledgeGap(SQLModel, table=True):
    """A question the knowledge base answered poorly (best retrieval score under a threshold)."""

    __tablename__ = "knowledge_gap"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    question: str = Field(sa_type=Text)
    language: str = Field(sa_type=String(8))
    best_score: float
    created_at: datetime = _timestamp()


DEFAULT_COLLECTION = "kb"  # the product's knowledge base; evaluation indexes live beside it


class KnowledgeDocument(SQLModel, table=True):
    """An ingested file; its passages are replaced together when its content changes."""

    __tablename__ = "kb_document"
    __table_args__ = (UniqueConstraint("collection", "source_key", name="uq_kb_document_source"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    collection: str = Field(sa_type=String(64))
    source_key: str = Field(sa_type=Text)  # the file's name as given to `izana ingest`
    kind: str = Field(sa_type=String(16))
    title: str = Field(sa_type=Text)
    content_hash: str = Field(sa_type=String(64))
    passages: int
    ingested_at: datetime = _timestamp()


class KnowledgePassage(SQLModel, table=True):
    """One retrievable passage of the knowledge base."""

    __tablename__ = "knowledge_passage"

    collection: str = Field(default=DEFAULT_COLLECTION, primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    document_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("kb_document.id", ondelete="CASCADE"), index=True),
    )
    content_hash: str = Field(default="", sa_type=String(64))
    # Of the text its vectors embed: any passage with the same text can reuse them.
    embed_hash: str = Field(default="", sa_type=String(64))
    title: str = Field(sa_type=Text)
    question: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    source: str = Field(sa_type=String(64))
    url: str = Field(sa_type=Text)
    category: str = Field(sa_type=String(64))
    question_type: str = Field(sa_type=String(64))


class DocumentUsage(SQLModel, table=True):
    """How often each passage was cited in an answer."""

    __tablename__ = "document_usage"

    collection: str = Field(primary_key=True, max_length=64)
    passage_id: str = Field(primary_key=True, max_length=128)
    citations: int
    last_cited_at: datetime = _timestamp()


class LabReportStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    NEEDS_OCR = "needs_ocr"


PENDING_REPORT_STATUSES = frozenset({LabReportStatus.QUEUED, LabReportStatus.PROCESSING})


class LabReport(SQLModel, table=True):
    """An uploaded blood-work PDF and the markers read from it."""

    __tablename__ = "lab_report"
    # At most one report of a session waits for the worker: a second upload is refused.
    __table_args__ = (
        Index(
            "uq_lab_report_pending",
            "session_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'processing')"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user_session.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    job_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    status: LabReportStatus = Field(default=LabReportStatus.QUEUED, sa_type=String(16))
    # The upload until the worker has read it (kept only with BLOODWORK_KEEP_PDF).
    pdf: bytes | None = Field(default=None, sa_type=LargeBinary)
    size_bytes: int
    pages: int
    markers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    missing_markers: list[str] = Field(default_factory=list, sa_type=JSONB)
    error: str | None = Field(default=None, sa_type=Text)
    progress: int = Field(default=0, sa_type=SmallInteger)  # percent, for polling clients
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class GoldAnswer(SQLModel, table=True):
    """A 5-star answer to a first-turn question, replayed for later first questions that mean the
    same (`shared/chat/gold.py`). The answer replayed is its message's own; the row goes with the
    message, and with a rating changed below 5; an admin can revoke it."""

    __tablename__ = "gold_answer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    message_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("message.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    question: str = Field(sa_type=Text)
    language: str = Field(sa_type=String(8))
    kb_version: str = Field(sa_type=String(64))  # the knowledge base the answer was made from
    # The question's vector and the model that made it, filled in by the first worker that
    # compares a question with it (the API embeds nothing), and again after a model change.
    embedder: str | None = Field(default=None, sa_type=String(128))
    embedding: list[float] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime = _timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AdminAudit(SQLModel, table=True):
    """One request to an admin route: who (client address), what, when and its status."""

    __tablename__ = "admin_audit"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: datetime = _timestamp(index=True)
    method: str = Field(sa_type=String(8))
    path: str = Field(sa_type=Text)
    query: str = Field(sa_type=Text)
    client_ip: str = Field(sa_type=String(64))
    request_id: str = Field(sa_type=String(64))
    status: int = Field(sa_type=SmallInteger)
