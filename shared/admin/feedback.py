"""Rated answers, the lowest ratings first: what was asked, what was answered, and why the asker
rated it so."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.admin.window import Window

EXCERPT_CHARS = 300

_RATED = """
FROM message a LEFT JOIN message q ON q.job_id = a.job_id AND q.role = 'user'
WHERE a.role = 'assistant' AND a.rating IS NOT NULL AND a.rating <= :max_rating
  AND a.rated_at >= :since AND a.rated_at < :before"""
_PAGE = text(f"""
SELECT a.id AS message_id, a.rating, a.rating_reason AS reason, q.content AS question,
       left(a.content, :excerpt) AS answer_excerpt, coalesce(q.language, a.language) AS language,
       a.created_at, a.rated_at
{_RATED}
ORDER BY a.rating, a.rated_at DESC, a.id LIMIT :limit OFFSET :offset""")
_COUNT = text(f"SELECT count(*) {_RATED}")


class RatedAnswer(BaseModel):
    message_id: uuid.UUID
    rating: int
    reason: str | None
    question: str | None = Field(description="The question it answered; null if not stored.")
    answer_excerpt: str = Field(description=f"The answer's first {EXCERPT_CHARS} characters.")
    language: str = Field(description="The question's language.")
    created_at: datetime = Field(description="When the answer was written.")
    rated_at: datetime


class FeedbackPage(BaseModel):
    window: Window
    total: int
    answers: list[RatedAnswer] = Field(description="Lowest rating first, then newest.")


async def rated_answers(
    sessionmaker: async_sessionmaker[AsyncSession],
    window: Window,
    max_rating: int,
    limit: int,
    offset: int,
) -> FeedbackPage:
    """Answers rated in the window at most `max_rating` stars: lowest first, then newest."""
    params = window.params() | {
        "max_rating": max_rating, "excerpt": EXCERPT_CHARS, "limit": limit, "offset": offset,
    }  # fmt: skip
    async with sessionmaker() as db:
        rows = (await db.execute(_PAGE, params)).mappings().all()
        total = await db.scalar(_COUNT, params)
    answers = [RatedAnswer.model_validate(row) for row in rows]
    return FeedbackPage(window=window, total=total or 0, answers=answers)
