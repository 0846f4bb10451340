"""Conversations and their messages: each job writes its question and its answer exactly once.

The API records the question without waiting for the disk (so admission stays fast); the worker
writes question and answer again in one durable transaction (`shared/chat/exchanges.py`), and
unique (job_id, role) keeps either write from duplicating the other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ScalarSelect, Uuid, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlmodel import col

from shared.db.models import (
    Conversation,
    Message,
    Role,
    utcnow,
)
from shared.db.pages import Page, Position, newest_first, page_of


class ConversationNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Question:
    job_id: str
    session_id: uuid.UUID
    conversation_id: uuid.UUID
    content: str
    language: str


async def ensure_conversation_owner(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    conversation_id: uuid.UUID,
) -> None:
    async with sessionmaker() as db:
        existing = await db.get(Conversation, conversation_id)
    if existing is None or existing.session_id != session_id:
        raise ConversationNotFound(str(conversation_id))


# Conversation (when new) and question, written by admission and again by the worker.
NEW_CONVERSATION = f"""new_conversation AS (
  INSERT INTO {Conversation.__tablename__} (id, session_id, created_at)
  VALUES (:conversation_id, :session_id, :created_at)
  ON CONFLICT (id) DO NOTHING
)"""
MESSAGE = f"""INSERT INTO {Message.__tablename__} (id, conversation_id, job_id, role, content,
  language, answer_mode, citations, suggestions, timings, audit, created_at)"""
QUESTION_VALUES = """:question_id, :conversation_id, :job_id, :question_role, :question,
  :question_language, NULL, '[]'::jsonb, '[]'::jsonb, '{}'::jsonb, '{}'::jsonb, :created_at"""
ONCE_PER_JOB = "ON CONFLICT (job_id, role) DO NOTHING"
TYPES = (
    bindparam("conversation_id", type_=Uuid),
    bindparam("session_id", type_=Uuid),
    bindparam("question_id", type_=Uuid),
    bindparam("created_at", type_=DateTime(timezone=True)),
)
# Committed without waiting for the disk: set_config(..., true) lasts until the statement's own
# commit.
_RECORD_QUESTION = text(f"""
WITH no_wait AS (SELECT set_config('synchronous_commit', 'off', true)), {NEW_CONVERSATION}
{MESSAGE} SELECT {QUESTION_VALUES} FROM no_wait {ONCE_PER_JOB}
""").bindparams(*TYPES)


def question_params(question: Question) -> dict[str, Any]:
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
            await autocommit.execute(_RECORD_QUESTION, question_params(question))
    except IntegrityError as error:  # the session row (or its conversation) is gone
        raise SessionGone(str(question.session_id)) from error


async def find_message(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: uuid.UUID
) -> Message | None:
    async with sessionmaker() as db:
        return await db.get(Message, message_id)


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


@dataclass(frozen=True)
class ConversationSummary:
    id: uuid.UUID
    created_at: datetime
    last_message_at: datetime | None
    messages: int
    title: str  # the start of its first question


TITLE_CHARS = 80


def _first_question() -> ScalarSelect[str]:
    asked = aliased(Message)  # apart from the outer query's messages
    return (
        select(col(asked.content))
        .where(
            col(asked.conversation_id) == col(Conversation.id),
            col(asked.role) == Role.USER.value,
        )
        .order_by(col(asked.created_at))
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )


async def list_conversations(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    limit: int,
    before: Position | None = None,
) -> Page[ConversationSummary]:
    """The session's conversations, newest first, starting after `before`."""
    query = (
        select(
            col(Conversation.id),
            col(Conversation.created_at),
            func.max(Message.created_at),
            func.count(col(Message.id)),
            _first_question(),
        )
        .outerjoin(Message, col(Message.conversation_id) == col(Conversation.id))
        .where(col(Conversation.session_id) == session_id)
        .group_by(col(Conversation.id))
    )
    query = newest_first(query, col(Conversation.created_at), col(Conversation.id), limit, before)
    async with sessionmaker() as db:
        rows = (await db.execute(query)).all()
    summaries = [
        ConversationSummary(id_, created, last, count, (first or "")[:TITLE_CHARS])
        for id_, created, last, count, first in rows
    ]
    return page_of(summaries, limit)


async def conversation_messages(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    conversation_id: uuid.UUID,
) -> list[Message]:
    """The conversation's messages, oldest first; ConversationNotFound unless it is the
    session's."""
    await ensure_conversation_owner(sessionmaker, session_id, conversation_id)
    query = (
        select(Message)
        .where(col(Message.conversation_id) == conversation_id)
        .order_by(col(Message.created_at), col(Message.role).desc())
    )
    async with sessionmaker() as db:
        return list((await db.execute(query)).scalars())
