"""Conversations and their messages; an assistant message is written once per job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.db.models import Conversation, Message, Role


class ConversationNotFound(LookupError):
    pass


@dataclass(frozen=True)
class AssistantMessage:
    job_id: str
    conversation_id: uuid.UUID
    content: str
    language: str
    answer_mode: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


async def open_conversation(
    db: AsyncSession, session_id: uuid.UUID, conversation_id: uuid.UUID | None
) -> Conversation:
    """The session's conversation `conversation_id`, or a new one when it is None."""
    if conversation_id is None:
        conversation = Conversation(session_id=session_id)
        db.add(conversation)
        await db.flush()
        return conversation
    existing = await db.get(Conversation, conversation_id)
    if existing is None or existing.session_id != session_id:
        raise ConversationNotFound(str(conversation_id))
    return existing


async def add_user_message(
    sessionmaker: async_sessionmaker[AsyncSession],
    session_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    content: str,
    language: str,
) -> Conversation:
    async with sessionmaker() as db, db.begin():
        conversation = await open_conversation(db, session_id, conversation_id)
        db.add(
            Message(
                conversation_id=conversation.id, role=Role.USER, content=content, language=language
            )
        )
    return conversation


async def save_assistant_message(
    sessionmaker: async_sessionmaker[AsyncSession], message: AssistantMessage
) -> uuid.UUID:
    """Insert the job's answer unless that job already wrote one; return the stored id."""
    values = {
        "id": uuid.uuid4(),
        "conversation_id": message.conversation_id,
        "role": Role.ASSISTANT.value,
        "content": message.content,
        "language": message.language,
        "job_id": message.job_id,
        "answer_mode": message.answer_mode,
        "citations": message.citations,
        "suggestions": message.suggestions,
        "timings": message.timings,
    }
    statement = insert(Message).values(values).on_conflict_do_nothing(index_elements=["job_id"])
    async with sessionmaker() as db, db.begin():
        await db.execute(statement)
        stored: uuid.UUID | None = await db.scalar(
            select(col(Message.id)).where(col(Message.job_id) == message.job_id)
        )
    if stored is None:
        raise RuntimeError(f"assistant message for job {message.job_id} was not stored")
    return stored
