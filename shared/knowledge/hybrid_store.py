"""The offline store: field-weighted BM25 in memory fused with one dense ranking per embedding
model ("view") in pgvector, by reciprocal rank fusion.

Passages live in Postgres (`knowledge_passage`, one collection each); every worker keeps the
lexical index of a collection in memory and rebuilds it when the collection's version changes.
Without an embedder or without pgvector the store is lexical only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import DEFAULT_COLLECTION, KnowledgePassage
from shared.knowledge.version import kb_version
from shared.observability.clock import elapsed_ms
from shared.providers.embeddings.base import Embedder
from shared.providers.rerank.coverage import coverage_score
from shared.providers.vectorstore.base import Passage, SearchQuery
from shared.providers.vectorstore.fusion import reciprocal_rank_fusion
from shared.providers.vectorstore.lexical import FieldedBM25
from shared.providers.vectorstore.pgvector import DenseHit, PgVectorIndex, pgvector_installed
from shared.providers.vectorstore.timings import RetrievalTimings, current_timings

log = logging.getLogger(__name__)

# Candidates taken from each ranking before fusion (docs/benchmarks/retrieval.md).
FUSION_DEPTH = 100


@dataclass(frozen=True)
class DenseView:
    embedder: Embedder
    index: PgVectorIndex


def dense_views(embedders: Sequence[Embedder]) -> list[DenseView]:
    return [DenseView(embedder, PgVectorIndex(embedder.name)) for embedder in embedders]


@dataclass(frozen=True)
class _Snapshot:
    version: str
    passages: list[Passage]
    positions: dict[str, int]
    lexical: FieldedBM25
    dense: bool


def _passage(row: KnowledgePassage) -> Passage:
    return Passage(
        id=row.id, title=row.title, question=row.question, body=row.body, source=row.source,
        url=row.url, category=row.category, question_type=row.question_type, score=0.0,
    )  # fmt: skip


def _lexical_index(passages: list[Passage]) -> FieldedBM25:
    return FieldedBM25(
        [[p.question for p in passages], [p.title for p in passages], [p.body for p in passages]]
    )


class HybridStore:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        views: Sequence[DenseView],
        collection: str = DEFAULT_COLLECTION,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._views = list(views)
        self.collection = collection
        self._snapshot: _Snapshot | None = None
        self._lock = asyncio.Lock()
        models = "+".join(view.embedder.name for view in self._views)
        self.name = f"hybrid(bm25+pgvector:{models})" if models else "bm25"

    async def _load(self, version: str) -> _Snapshot:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(KnowledgePassage)
                .where(col(KnowledgePassage.collection) == self.collection)
                .order_by(col(KnowledgePassage.id))
            )
            passages = [_passage(row) for row in rows]
        lexical = await asyncio.to_thread(_lexical_index, passages)
        dense = bool(self._views) and await pgvector_installed(self._sessionmaker)
        if self._views and not dense:
            log.warning("pgvector is not installed in Postgres: retrieval is lexical only")
        positions = {passage.id: n for n, passage in enumerate(passages)}
        return _Snapshot(version, passages, positions, lexical, dense)

    async def snapshot(self) -> _Snapshot:
        """The loaded collection, reloaded first if its version moved on."""
        version = await kb_version(self._redis, self.collection)
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        async with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = await self._load(version)
            return self._snapshot

    async def search(self, query: SearchQuery) -> list[Passage]:
        """Fused lexical and dense ranking; scores are cosine similarities to the query."""
        snapshot = await self.snapshot()
        timings = current_timings()
        started = time.perf_counter()
        lexical = [hit.index for hit in snapshot.lexical.search(query.text, FUSION_DEPTH)]
        timings.lexical_ms = elapsed_ms(started)
        if not snapshot.dense:
            found = self._pick(snapshot, lexical, query)
            return [replace(p, score=coverage_score(query.text, p)) for p in found]
        vectors = await self._query_vectors(query, timings)
        async with self._sessionmaker() as session, session.begin():
            started = time.perf_counter()
            rankings = [
                await view.index.search(session, self.collection, vector, FUSION_DEPTH)
                for view, vector in zip(self._views, vectors, strict=True)
            ]
            timings.dense_ms = elapsed_ms(started)
            started = time.perf_counter()
            dense = [
                [
                    snapshot.positions[hit.passage_id]
                    for hit in hits
                    if hit.passage_id in snapshot.positions
                ]
                for hits in rankings
            ]
            found = self._pick(snapshot, reciprocal_rank_fusion([lexical, *dense]), query)
            timings.fusion_ms = elapsed_ms(started)
            similarity = await self._similarity(session, vectors[0], rankings[0], found)
        return [replace(p, score=similarity.get(p.id, 0.0)) for p in found]

    async def _query_vectors(
        self, query: SearchQuery, timings: RetrievalTimings
    ) -> list[list[float]]:
        started = time.perf_counter()
        vectors = [(await view.embedder.embed([query.text], "query"))[0] for view in self._views]
        timings.embedding_ms = elapsed_ms(started)
        return vectors

    async def _similarity(
        self,
        session: AsyncSession,
        vector: Sequence[float],
        hits: list[DenseHit],
        found: list[Passage],
    ) -> dict[str, float]:
        """Cosine similarity in the first view (the knowledge-gap signal) of every passage found."""
        similarity = {hit.passage_id: hit.similarity for hit in hits}
        missing = [p.id for p in found if p.id not in similarity]
        if missing:
            index = self._views[0].index
            similarity |= await index.similarities(session, self.collection, vector, missing)
        return similarity

    @staticmethod
    def _pick(snapshot: _Snapshot, ranked: list[int], query: SearchQuery) -> list[Passage]:
        passages = (snapshot.passages[i] for i in ranked)
        if query.namespace:
            passages = (p for p in passages if p.category == query.namespace)
        return [p for _, p in zip(range(query.top_k), passages, strict=False)]

    async def count(self) -> int:
        return len((await self.snapshot()).passages)

    async def warm(self) -> None:
        await self.snapshot()
        for view in self._views:
            await view.embedder.warm()
