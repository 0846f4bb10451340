"""Offline store: BM25 in memory over the knowledge passages kept in Postgres.

The index is built on first use from the `knowledge_passage` table (each worker holds its own).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import KnowledgePassage
from shared.providers.vectorstore.base import Passage, SearchQuery
from shared.rag.bm25 import BM25Index


def _passage(row: KnowledgePassage) -> Passage:
    return Passage(
        id=row.id, title=row.title, question=row.question, body=row.body, source=row.source,
        url=row.url, category=row.category, question_type=row.question_type, score=0.0,
    )  # fmt: skip


class MemoryBM25Store:
    name = "bm25-memory"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._passages: list[Passage] = []
        self._index: BM25Index | None = None
        self._lock = asyncio.Lock()

    async def _loaded_index(self) -> BM25Index:
        async with self._lock:
            if self._index is None or not self._passages:
                async with self._sessionmaker() as session:
                    rows = (await session.scalars(select(KnowledgePassage))).all()
                self._passages = [_passage(row) for row in rows]
                self._index = BM25Index(
                    [f"{p.title} {p.question}" for p in self._passages],
                    [p.body for p in self._passages],
                )
            return self._index

    async def search(self, query: SearchQuery) -> list[Passage]:
        index = await self._loaded_index()
        wanted = len(self._passages) if query.namespace else query.top_k
        hits = [
            replace(self._passages[hit.index], score=hit.score)
            for hit in index.search(query.text, wanted)
        ]
        if query.namespace:
            hits = [hit for hit in hits if hit.category == query.namespace]
        return hits[: query.top_k]

    async def count(self) -> int:
        return len(await self._loaded_index())
