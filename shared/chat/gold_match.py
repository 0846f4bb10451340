"""A worker's side of gold answers: which gold answer, if any, a new conversation's first
question may be answered with.

Each worker keeps an index of the live gold answers of the current knowledge-base version,
grouped by their guard key (`gold_guard.py`), and reloads it when the generation in Redis or the
version changes. A question looks up its own key: only the gold answers there may answer it.
When there are some, the question is embedded (with the first embedding view, through the
embedding cache, so retrieval reuses the vector on a miss) and compared with theirs; the closest
at or above GOLD_SIMILARITY_THRESHOLD answers it. Those gold answers are read from Postgres at
that moment, so one revoked, removed with its message or rating, or of another knowledge-base
version is never replayed, whatever the index holds. A gold answer not yet embedded by the
current embedder (a new one, or after a change of model) is embedded then, and stored. When
the embedder fails, the question is answered as though no gold answer matched.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.cache.response_cache import CachedAnswer
from shared.chat.gold import GENERATION_KEY
from shared.chat.gold_guard import GuardKey, guard_key
from shared.db.models import GoldAnswer, Message
from shared.knowledge.version import KB_VERSION_KEY, UNVERSIONED
from shared.providers.embeddings.base import Embedder
from shared.rag.answer import Answer, AnswerSource
from shared.rag.pipeline import PreparedQuestion
from shared.rag.sanitize import sanitize
from shared.resilience.errors import ProviderFailure
from shared.resources import Resources

log = logging.getLogger(__name__)


def similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine similarity of two vectors."""
    norms = math.hypot(*a) * math.hypot(*b)
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


@dataclass(frozen=True)
class GoldMatch:
    gold_id: uuid.UUID
    similarity: float
    answer: CachedAnswer

    def replayed(self, answer: Answer) -> Answer:
        """`answer`, replayed from this gold answer, with its source and audit."""
        audit = {**answer.audit, "gold_id": str(self.gold_id), "similarity": self.similarity}
        return replace(answer, source=AnswerSource.GOLD, audit=audit)


@dataclass(frozen=True)
class AnswerVersions:
    """What a first question is answered against: the knowledge base's version, and the gold
    answers' generation ("" before their first change)."""

    kb_version: str
    gold_generation: str


async def answer_versions(redis: Redis) -> AnswerVersions:
    """Both versions as they are now, in one round trip."""
    kb, gold = await redis.mget(KB_VERSION_KEY, GENERATION_KEY)
    return AnswerVersions(kb or UNVERSIONED, gold or "")


@dataclass(frozen=True)
class _Index:
    generation: str
    kb_version: str
    groups: dict[GuardKey, list[uuid.UUID]]


@dataclass(frozen=True)
class _Candidate:
    gold_id: uuid.UUID
    question: str  # sanitized as the asked question is
    embedder: str | None
    embedding: list[float] | None
    answer: CachedAnswer


class GoldAnswers:
    """One worker's index of the gold answers; `find` is safe to call from concurrent jobs."""

    def __init__(self) -> None:
        self._index: _Index | None = None
        self._reloading = asyncio.Lock()

    async def find(
        self,
        resources: Resources,
        embedders: Sequence[Embedder],
        asked: PreparedQuestion,
        versions: AnswerVersions,
    ) -> GoldMatch | None:
        """The gold answer that answers the question, or None."""
        if not embedders:
            return None
        kb_version = versions.kb_version
        index = await self._current(resources, versions)
        ids = index.groups.get(guard_key(asked.text, asked.language, kb_version))
        if not ids:
            return None
        max_chars = resources.settings.max_message_chars
        candidates = await _live(resources.sessionmaker, ids, kb_version, max_chars)
        if not candidates:
            return None
        try:
            scored = await _scored(resources.sessionmaker, embedders[0], asked.text, candidates)
        except ProviderFailure as failure:  # the question is answered as if no gold matched
            log.warning("gold answers skipped: embeddings unavailable (%s)", failure.kind.value)
            return None
        best_similarity, best = max(scored, key=lambda pair: pair[0])
        if best_similarity < resources.settings.gold_similarity_threshold:
            return None
        return GoldMatch(best.gold_id, best_similarity, best.answer)

    async def _current(self, resources: Resources, versions: AnswerVersions) -> _Index:
        """The index for these versions, reloaded when either moved."""
        wanted, kb_version = versions.gold_generation, versions.kb_version
        async with self._reloading:
            index = self._index
            if index is None or (index.generation, index.kb_version) != (wanted, kb_version):
                index = await _load(resources, wanted, kb_version)
                self._index = index
        return index


async def _load(resources: Resources, wanted: str, kb_version: str) -> _Index:
    """The live gold answers of `kb_version`, grouped by guard key (read after the generation,
    so a change made since is seen now or at the next generation)."""
    query = select(col(GoldAnswer.id), col(GoldAnswer.question), col(GoldAnswer.language)).where(
        col(GoldAnswer.kb_version) == kb_version, col(GoldAnswer.revoked_at).is_(None)
    )
    async with resources.sessionmaker() as db:
        rows = (await db.execute(query)).all()
    max_chars = resources.settings.max_message_chars
    groups: defaultdict[GuardKey, list[uuid.UUID]] = defaultdict(list)
    for gold_id, question, language in rows:
        groups[guard_key(sanitize(question, max_chars).text, language, kb_version)].append(gold_id)
    return _Index(wanted, kb_version, dict(groups))


def _cached_answer(message: Message) -> CachedAnswer:
    """The gold answer's message as the response cache would have stored it."""
    audit: dict[str, Any] = message.audit
    return CachedAnswer(
        answer=message.content, language=message.language, mode=message.answer_mode or "",
        citations=message.citations,
        suggestions=message.suggestions,
        model=str(audit.get("providers", {}).get("llm") or audit.get("model", "")),
        created_at_ms=int(message.created_at.timestamp() * 1000),
    )  # fmt: skip


async def _live(
    sessionmaker: async_sessionmaker[AsyncSession],
    ids: list[uuid.UUID],
    kb_version: str,
    max_chars: int,
) -> list[_Candidate]:
    """Those of `ids` that are still gold for `kb_version`, with their answers."""
    query = (
        select(GoldAnswer, Message)
        .join(Message, col(Message.id) == col(GoldAnswer.message_id))
        .where(
            col(GoldAnswer.id).in_(ids),
            col(GoldAnswer.kb_version) == kb_version,
            col(GoldAnswer.revoked_at).is_(None),
        )
    )
    async with sessionmaker() as db:
        rows = (await db.execute(query)).all()
    return [
        _Candidate(
            gold.id,
            sanitize(gold.question, max_chars).text,
            gold.embedder,
            gold.embedding,
            _cached_answer(message),
        )
        for gold, message in rows
    ]


async def _scored(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    question: str,
    candidates: list[_Candidate],
) -> list[tuple[float, _Candidate]]:
    """Each candidate with its similarity to `question`. Those the embedder has not embedded yet
    are embedded together with the question, and their vectors stored."""
    vectors = {
        c.gold_id: c.embedding for c in candidates if c.embedder == embedder.name and c.embedding
    }
    stale = [c for c in candidates if c.gold_id not in vectors]
    asked, *fresh = await embedder.embed([question, *(c.question for c in stale)], "query")
    if stale:
        await _store_vectors(sessionmaker, embedder.name, stale, fresh)
    vectors.update(zip((c.gold_id for c in stale), fresh, strict=True))
    return [(similarity(asked, vectors[c.gold_id]), c) for c in candidates]


async def _store_vectors(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: str,
    stale: list[_Candidate],
    vectors: list[list[float]],
) -> None:
    async with sessionmaker() as db, db.begin():
        for candidate, vector in zip(stale, vectors, strict=True):
            await db.execute(
                update(GoldAnswer)
                .where(col(GoldAnswer.id) == candidate.gold_id)
                .values(embedder=embedder, embedding=vector)
            )
