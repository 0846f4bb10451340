"""Knowledge gaps (questions whose best retrieval score was low), grouped by what they ask.

Questions are grouped by their content terms (shared/text/terms.py): lower-case words without
stopwords or single characters, as a sorted set. "What is AMH?" and "AMH: what is it" share the
key "amh"; word order, case, punctuation and repetition do not matter, any other word does. A
question without content terms is keyed by its words. The window's gaps are read in batches and
grouped here, since the key is computed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.admin.window import Window
from shared.db.models import KnowledgeGap
from shared.text.terms import content_terms, words

READ_BATCH = 1000


def gap_key(question: str) -> str:
    """The group of a question: its distinct content terms, sorted, space-separated."""
    terms = content_terms(question) or words(question)
    return " ".join(sorted(set(terms)))


class GapGroup(BaseModel):
    terms: str = Field(description="The group's key: its questions' content terms, sorted.")
    questions: int
    example: str = Field(description="The group's latest question.")
    worst_score: float
    average_score: float
    languages: list[str]
    last_seen: datetime


class GapPage(BaseModel):
    window: Window
    total_groups: int
    groups: list[GapGroup] = Field(description="Most questions first, then latest seen.")


@dataclass
class _Gathered:
    """A group while the gaps are read, latest first."""

    example: str
    last_seen: datetime
    questions: int = 0
    worst_score: float = float("inf")
    score_sum: float = 0.0
    languages: set[str] = field(default_factory=set)

    def add(self, language: str, best_score: float) -> None:
        self.questions += 1
        self.worst_score = min(self.worst_score, best_score)
        self.score_sum += best_score
        self.languages.add(language)

    def group(self, key: str) -> GapGroup:
        return GapGroup(
            terms=key, questions=self.questions, example=self.example,
            worst_score=self.worst_score, average_score=self.score_sum / self.questions,
            languages=sorted(self.languages), last_seen=self.last_seen,
        )  # fmt: skip


async def gap_groups(
    sessionmaker: async_sessionmaker[AsyncSession], window: Window, limit: int, offset: int
) -> GapPage:
    """The window's gaps grouped; the page of `limit` groups after the first `offset`."""
    gap = KnowledgeGap
    query = (
        select(col(gap.question), col(gap.language), col(gap.best_score), col(gap.created_at))
        .where(col(gap.created_at) >= window.since, col(gap.created_at) < window.before)
        .order_by(col(gap.created_at).desc(), col(gap.id))
        .execution_options(yield_per=READ_BATCH)
    )
    gathered: dict[str, _Gathered] = {}
    async with sessionmaker() as db:
        async for question, language, best_score, created_at in await db.stream(query):
            group = gathered.setdefault(gap_key(question), _Gathered(question, created_at))
            group.add(language, best_score)
    groups = [group.group(key) for key, group in gathered.items()]
    groups.sort(key=lambda g: (-g.questions, -g.last_seen.timestamp(), g.terms))
    return GapPage(window=window, total_groups=len(groups), groups=groups[offset : offset + limit])
