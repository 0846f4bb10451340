"""The session's conversations: list them, read one, erase one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import SESSION_ERRORS, ResourcesDep, SessionDep
from api.error_docs import error_responses
from api.errors import ConversationNotFound, InvalidCursor, ValidationFailed
from api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, decode_cursor, encode_cursor
from api.ratelimit import LIMIT_ERRORS
from shared.chat import conversations
from shared.db.models import Message, Role
from shared.events import Citation
from shared.sessions.erasure import erase_conversation

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


class ConversationOut(BaseModel):
    id: uuid.UUID
    title: str = Field(description="The start of its first question.")
    created_at: datetime
    last_message_at: datetime | None
    messages: int


class ConversationsPage(BaseModel):
    conversations: list[ConversationOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class MessageOut(BaseModel):
    id: uuid.UUID
    role: Role
    content: str
    language: str
    mode: str | None = Field(description="How an answer was made; null for a question.")
    citations: list[Citation]
    suggestions: list[str]
    rating: int | None = Field(description="The session's 1 to 5 stars for an answer, if rated.")
    rating_reason: str | None
    created_at: datetime


class ConversationDetail(BaseModel):
    id: uuid.UUID
    messages: list[MessageOut] = Field(description="Oldest first.")


def _message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id, role=message.role, content=message.content, language=message.language,
        mode=message.answer_mode, citations=[Citation.model_validate(c) for c in message.citations],
        suggestions=message.suggestions, rating=message.rating,
        rating_reason=message.rating_reason, created_at=message.created_at,
    )  # fmt: skip


@router.get(
    "",
    responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, InvalidCursor, ValidationFailed),
)
async def list_conversations(
    session: SessionDep,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ConversationsPage:
    """The session's conversations, newest first, a page at a time."""
    before = decode_cursor(cursor) if cursor else None
    page = await conversations.list_conversations(resources.sessionmaker, session.id, limit, before)
    return ConversationsPage(
        conversations=[ConversationOut(**vars(summary)) for summary in page.items],
        next_cursor=encode_cursor(page.next.created_at, page.next.id) if page.next else None,
    )


@router.get(
    "/{conversation_id}",
    responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, ConversationNotFound),
)
async def get_conversation(
    conversation_id: uuid.UUID, session: SessionDep, resources: ResourcesDep
) -> ConversationDetail:
    """The conversation's questions and answers, with citations, language, mode and rating."""
    try:
        messages = await conversations.conversation_messages(
            resources.sessionmaker, session.id, conversation_id
        )
    except conversations.ConversationNotFound as error:
        raise ConversationNotFound from error
    return ConversationDetail(id=conversation_id, messages=[_message_out(m) for m in messages])


@router.delete(
    "/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, ConversationNotFound),
)
async def delete_conversation(
    conversation_id: uuid.UUID, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Erase the conversation and everything derived from it: its messages and their ratings,
    its jobs' records and events (running ones are cancelled), the lab reports analysed in it
    and their uploads. A failed erasure (503) can be retried."""
    try:
        await erase_conversation(resources, session.id, conversation_id)
    except conversations.ConversationNotFound as error:
        raise ConversationNotFound from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)
