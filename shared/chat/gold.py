"""Gold answers: 5-star answers to first-turn questions, replayed to later first questions that
mean the same (docs/decisions.md, decision 31).

This module keeps the records, for the API and the workers alike: a rating of 5 makes its answer
gold in the rating's own transaction, a lower rating removes it, an admin lists and revokes
them, and every change sets a new generation in Redis, which tells each worker to reload its
index (`gold_match.py`, where questions are embedded and compared: the API embeds nothing).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import String, Uuid, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import GoldAnswer, Message, utcnow
from shared.db.pages import Page, Position, newest_first, page_of

GENERATION_KEY = "izana:gold:generation"
# The audit sources (shared/rag/answer.py, AnswerSource) of answers made from the question alone,
# with nothing personal in them: answered by the pipeline, the response cache or single flight.
QUESTION_ALONE_SOURCES = ("pipeline", "cache", "shared")


class GoldAnswerNotFound(LookupError):
    pass


async def bump_generation(redis: Redis) -> None:
    """A new generation: every worker reloads its index before its next comparison. Random, so a
    Redis that lost the key (or was restored from an older copy) never repeats a generation a
    worker has loaded."""
    await redis.set(GENERATION_KEY, uuid.uuid4().hex)


# The answer `message_id` becomes gold when it is rated 5, was made from its question alone
# (its audit names such a source and the knowledge-base version), and its question is the first
# of its conversation. A revoked gold answer stays revoked: the conflict changes nothing.
_PROMOTE = text("""
INSERT INTO gold_answer (id, message_id, question, language, kb_version, created_at)
SELECT :gold_id, answer.id, question.content, question.language, answer.audit->>'kb_version',
  :created_at
FROM message AS answer
JOIN message AS question ON question.job_id = answer.job_id AND question.role = 'user'
WHERE answer.id = :message_id AND answer.role = 'assistant' AND answer.rating = 5
  AND answer.audit->>'source' = ANY(:sources) AND answer.audit->>'kb_version' IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM message AS earlier
    WHERE earlier.conversation_id = question.conversation_id AND earlier.role = 'user'
      AND earlier.created_at < question.created_at
  )
ON CONFLICT (message_id) DO NOTHING
RETURNING id
""").bindparams(
    bindparam("gold_id", type_=Uuid),
    bindparam("message_id", type_=Uuid),
    bindparam("sources", type_=ARRAY(String)),
)


async def promote(db: AsyncSession, message_id: uuid.UUID) -> bool:
    """Make the 5-star answer gold if it qualifies; whether a gold answer was added."""
    added = await db.execute(
        _PROMOTE,
        {
            "gold_id": uuid.uuid4(),
            "message_id": message_id,
            "created_at": utcnow(),
            "sources": list(QUESTION_ALONE_SOURCES),
        },
    )
    return added.scalar() is not None


async def demote(db: AsyncSession, message_id: uuid.UUID) -> bool:
    """The answer is gold no more (its rating fell below 5); whether it was."""
    removed = await db.execute(
        delete(GoldAnswer)
        .where(col(GoldAnswer.message_id) == message_id)
        .returning(col(GoldAnswer.id))
    )
    return removed.scalar() is not None


@dataclass(frozen=True)
class GoldSummary:
    id: uuid.UUID
    message_id: uuid.UUID
    question: str
    answer: str
    language: str
    kb_version: str
    embedder: str | None
    created_at: datetime
    revoked_at: datetime | None


_SUMMARY = (
    col(GoldAnswer.id), col(GoldAnswer.message_id), col(GoldAnswer.question),
    col(Message.content), col(GoldAnswer.language), col(GoldAnswer.kb_version),
    col(GoldAnswer.embedder), col(GoldAnswer.created_at), col(GoldAnswer.revoked_at),
)  # fmt: skip


async def list_gold(
    sessionmaker: async_sessionmaker[AsyncSession],
    limit: int,
    before: Position | None = None,
) -> Page[GoldSummary]:
    """Every gold answer, revoked ones too, newest first, starting after `before`."""
    query = select(*_SUMMARY).join(Message, col(Message.id) == col(GoldAnswer.message_id))
    query = newest_first(query, col(GoldAnswer.created_at), col(GoldAnswer.id), limit, before)
    async with sessionmaker() as db:
        rows = (await db.execute(query)).all()
    return page_of([GoldSummary(*row) for row in rows], limit)


async def revoke_gold(
    sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, gold_id: uuid.UUID
) -> GoldSummary:
    """Revoke the gold answer (once: a second revoke keeps the first time); GoldAnswerNotFound
    for an unknown id. Every worker stops replaying it at once."""
    revoke = (
        update(GoldAnswer)
        .where(col(GoldAnswer.id) == gold_id, col(GoldAnswer.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    read = (
        select(*_SUMMARY)
        .join(Message, col(Message.id) == col(GoldAnswer.message_id))
        .where(col(GoldAnswer.id) == gold_id)
    )
    async with sessionmaker() as db, db.begin():
        await db.execute(revoke)
        row = (await db.execute(read)).first()
    if row is None:
        raise GoldAnswerNotFound(str(gold_id))
    await bump_generation(redis)
    return GoldSummary(*row)
