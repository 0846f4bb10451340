"""Conversations and their messages: each job writes its question and its answer exactly once.

The API records the question without waiting for the disk (so admission stays fast); the worker
writes question and answer again in one durable transaction, and unique (job_id, role) keeps
either write from duplicating the other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, Insert, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.db.models import (
    DEFAULT_COLLECTION,
    Conversation,
    DocumentUsage,
    KnowledgeGap,
    Message,
    Role,
    utcnow,
)


class ConversationNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Question:
    job_id: str
    session_id: uuid.UUID
    conversation_id: uuid.UUID
    content: str
    language: str


@dataclass(frozen=True)
class Answer:
    content: str
    language: str
    answer_mode: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    # The best retrieval score, when it was low enough to log the question as a knowledge gap.
    gap_score: float | None = None


async def ensure_conversation_owner(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    conversation_id: uuid.UUID,
) -> None:
    async with sessionmaker() as db:
        existing = await db.get(Conversation, conversation_id)
    if existing is None or existing.session_id != session_id:
        raise ConversationNotFound(str(conversation_id))


def _gap_row(question: Question, best_score: float) -> Insert:
    row = {
        "id": uuid.uuid4(),
        "job_id": question.job_id,
        "question": question.content,
        "language": question.language,
        "best_score": best_score,
        "created_at": utcnow(),
    }
    return insert(KnowledgeGap).values(row).on_conflict_do_nothing(index_elements=["job_id"])


def _usage_row(passage_ids: list[str]) -> Insert:
    now = utcnow()
    rows = [
        {"collection": DEFAULT_COLLECTION, "passage_id": pid, "citations": 1, "last_cited_at": now}
        for pid in passage_ids
    ]
    statement = insert(DocumentUsage).values(rows)
    return statement.on_conflict_do_update(
        index_elements=["collection", "passage_id"],
        set_={
            "citations": col(DocumentUsage.citations) + 1,
            "last_cited_at": statement.excluded.last_cited_at,
        },
    )


def _cited_ids(answer: Answer) -> list[str]:
    return sorted({str(c.get("passage_id")) for c in answer.citations if c.get("passage_id")})


# Conversation (when new) and question, written by admission and again by the worker.
_NEW_CONVERSATION = f"""new_conversation AS (
  INSERT INTO {Conversation.__tablename__} (id, session_id, created_at)
  VALUES (:conversation_id, :session_id, :created_at)
  ON CONFLICT (id) DO NOTHING
)"""
_MESSAGE = f"""INSERT INTO {Message.__tablename__} (id, conversation_id, job_id, role, content,
  language, answer_mode, citations, suggestions, timings, audit, created_at)"""
_QUESTION_VALUES = """:question_id, :conversation_id, :job_id, :question_role, :question,
  :question_language, NULL, '[]'::jsonb, '[]'::jsonb, '{}'::jsonb, '{}'::jsonb, :created_at"""
_ONCE_PER_JOB = "ON CONFLICT (job_id, role) DO NOTHING"
_TYPES = (
    bindparam("conversation_id", type_=Uuid),
    bindparam("session_id", type_=Uuid),
    bindparam("question_id", type_=Uuid),
    bindparam("created_at", type_=DateTime(timezone=True)),
)
# Committed without waiting for the disk: set_config(..., true) lasts until the statement's own
# commit.
_RECORD_QUESTION = text(f"""
WITH no_wait AS (SELECT set_config('synchronous_commit', 'off', true)), {_NEW_CONVERSATION}
{_MESSAGE} SELECT {_QUESTION_VALUES} FROM no_wait {_ONCE_PER_JOB}
""").bindparams(*_TYPES)
_SAVE_EXCHANGE = text(f"""
WITH {_NEW_CONVERSATION}, new_question AS ({_MESSAGE} VALUES ({_QUESTION_VALUES}) {_ONCE_PER_JOB})
{_MESSAGE} VALUES (:answer_id, :conversation_id, :job_id, :answer_role, :answer, :answer_language,
  :answer_mode, :citations, :suggestions, :timings, :audit, :created_at)
{_ONCE_PER_JOB} RETURNING id
""").bindparams(
    *_TYPES,
    bindparam("answer_id", type_=Uuid),
    *(bindparam(name, type_=JSONB) for name in ("citations", "suggestions", "timings", "audit")),
)


def _question_params(question: Question) -> dict[str, Any]:
    return {
        "conversation_id": question.conversation_id,
        "session_id": question.session_id,
        "question_id": uuid.uuid4(),
        "job_id": question.job_id,
        "question_role": Role.USER.value,
        "question": question.content,
        "question_language": question.language,
        "created_at": utcnow(),
    }


class SessionGone(LookupError):
    """The question's session no longer exists (erased meanwhile)."""


async def record_question(engine: AsyncEngine, question: Question) -> None:
    """Store the question at once, in one round trip outside any transaction block; durability
    comes from the job and from `save_exchange`. SessionGone when its session was erased."""
    try:
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(_RECORD_QUESTION, _question_params(question))
    except IntegrityError as error:  # the session row (or its conversation) is gone
        raise SessionGone(str(question.session_id)) from error


async def save_exchange(
    sessionmaker: async_sessionmaker[AsyncSession], question: Question, answer: Answer
) -> uuid.UUID:
    """Durably store question and answer once per job; returns the answer's message id.

    One statement writes conversation, question and answer; a re-run (the answer already
    there) then looks up the stored answer's id."""
    values = _question_params(question) | {
        "answer_id": uuid.uuid4(),
        "answer_role": Role.ASSISTANT.value,
        "answer": answer.content,
        "answer_language": answer.language,
        "answer_mode": answer.answer_mode,
        "citations": answer.citations,
        "suggestions": answer.suggestions,
        "timings": answer.timings,
        "audit": answer.audit,
    }
    async with sessionmaker() as db, db.begin():
        inserted: uuid.UUID | None = (await db.execute(_SAVE_EXCHANGE, values)).scalar()
        cited = _cited_ids(answer)
        if inserted is not None and cited:  # a re-run of the job counts nothing twice
            await db.execute(_usage_row(cited))
        if answer.gap_score is not None:
            await db.execute(_gap_row(question, answer.gap_score))
        stored = inserted or await db.scalar(
            select(col(Message.id)).where(
                col(Message.job_id) == question.job_id, col(Message.role) == Role.ASSISTANT.value
            )
        )
    if stored is None:
        raise RuntimeError(f"answer of job {question.job_id} was not stored")
    return stored


async def load_history(
    sessionmaker: async_sessionmaker[AsyncSession],
    conversation_id: uuid.UUID,
    job_id: str,
    limit: int,
) -> list[tuple[Role, str]]:
    """The conversation's last `limit` messages other than job `job_id`'s, oldest first."""
    if limit == 0:
        return []
    query = (
        select(col(Message.role), col(Message.content))
        .where(
            col(Message.conversation_id) == conversation_id,
            col(Message.job_id) != job_id,
        )
        .order_by(col(Message.created_at).desc())
        .limit(limit)
    )
    async with sessionmaker() as db:
        rows = (await db.execute(query)).all()
    return [(Role(role), content) for role, content in reversed(rows)]
