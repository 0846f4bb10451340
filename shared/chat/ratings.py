"""A user's rating of an answer in their own conversation (1 to 5 stars): one per message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.chat.gold import bump_generation, demote, promote
from shared.db.models import Conversation, Message, Role, utcnow

MIN_RATING = 1
MAX_RATING = 5


class AnswerNotFound(LookupError):
    """No answer with this id in the session's conversations."""


@dataclass(frozen=True)
class Rating:
    message_id: uuid.UUID
    rating: int
    reason: str | None


def _own_answer(session_id: uuid.UUID, message_id: uuid.UUID) -> ColumnElement[bool]:
    owned = select(col(Conversation.id)).where(col(Conversation.session_id) == session_id)
    return (
        (col(Message.id) == message_id)
        & (col(Message.role) == Role.ASSISTANT.value)
        & col(Message.conversation_id).in_(owned)
    )


async def rate_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    session_id: uuid.UUID,
    rating: Rating,
) -> None:
    """Set (or change) the rating of the session's own answer; AnswerNotFound otherwise.

    In the same transaction, 5 stars make a first-turn answer gold, and fewer remove it
    (`shared/chat/gold.py`)."""
    statement = (
        update(Message)
        .where(_own_answer(session_id, rating.message_id))
        .values(rating=rating.rating, rating_reason=rating.reason, rated_at=utcnow())
        .returning(col(Message.id))
    )
    async with sessionmaker() as db, db.begin():
        if (await db.execute(statement)).scalar() is None:
            raise AnswerNotFound(str(rating.message_id))
        follow = promote if rating.rating == MAX_RATING else demote
        gold_changed = await follow(db, rating.message_id)
    if gold_changed:
        await bump_generation(redis)
