"""Pinecone: passages embedded once, one namespace per knowledge category, queried together."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
import pinecone
from pinecone.errors import exceptions as pinecone_errors

from shared.providers.embeddings.base import Embedder
from shared.providers.vectorstore.base import Passage, SearchQuery
from shared.resilience.errors import ModelRef, to_failure
from shared.resilience.guard import Attempt, ProviderGuard

T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    pinecone_errors.PineconeConnectionError,
    pinecone_errors.PineconeTimeoutError,
    pinecone_errors.ResponseParsingError,
    httpx.TransportError,
)
NAMESPACES_REFRESH_SECONDS = 60.0
UPSERT_BATCH = 100
METADATA_FIELDS = ("title", "question", "body", "source", "url", "category", "question_type")


def pinecone_index(api_key: str, host: str, timeout: float) -> pinecone.AsyncIndex:
    """The data-plane client also retries by itself (no public switch turns it off), but only
    while a per-process budget lasts: at a sustained fault rate the budget runs dry and the SDK
    stops retrying for good. So the guard retries Pinecone calls like every other provider's."""
    return pinecone.AsyncPinecone(api_key=api_key, timeout=timeout).IndexAsyncio(host=host)


def _metadata(passage: Passage) -> dict[str, str]:
    return {field: str(getattr(passage, field)) for field in METADATA_FIELDS}


def _passage(match: Any) -> Passage:
    metadata = dict(match.metadata or {})
    values = {field: str(metadata.get(field, "")) for field in METADATA_FIELDS}
    return Passage(id=match.id, score=float(match.score), **values)


class PineconeStore:
    name = "pinecone"

    def __init__(
        self, index: pinecone.AsyncIndex, embedder: Embedder, guard: ProviderGuard
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._guard = guard
        self._target = ModelRef("pinecone", "index")
        self._namespaces: tuple[list[str], float] = ([], 0.0)

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        async def send(attempt: Attempt) -> T:
            try:
                return await operation()
            except Exception as error:
                raise to_failure(error, self._target, TRANSIENT_ERRORS) from error

        return await self._guard.call("vectorstore", self._target, 0, send)

    async def namespaces(self) -> list[str]:
        names, fetched_at = self._namespaces
        if time.monotonic() - fetched_at > NAMESPACES_REFRESH_SECONDS:
            stats = await self._call(self._index.describe_index_stats)
            names = sorted(stats.namespaces) or [""]
            self._namespaces = (names, time.monotonic())
        return names

    async def _query(self, vector: Sequence[float], namespace: str, top_k: int) -> list[Passage]:
        response = await self._call(
            lambda: self._index.query(
                top_k=top_k, vector=vector, namespace=namespace, include_metadata=True
            )
        )
        return [_passage(match) for match in response.matches]

    async def search(self, query: SearchQuery) -> list[Passage]:
        vector = query.embedding or (await self._embedder.embed([query.text], "query"))[0]
        namespaces = [query.namespace] if query.namespace else await self.namespaces()
        results = await asyncio.gather(
            *(self._query(vector, namespace, query.top_k) for namespace in namespaces)
        )
        merged = sorted((p for found in results for p in found), key=lambda p: -p.score)
        return merged[: query.top_k]

    async def upsert(self, passages: Sequence[Passage], namespace: str) -> None:
        vectors = await self._embedder.embed([f"{p.title}\n{p.body}" for p in passages])
        rows = [
            {"id": p.id, "values": vector, "metadata": _metadata(p)}
            for p, vector in zip(passages, vectors, strict=True)
        ]
        for start in range(0, len(rows), UPSERT_BATCH):
            await self._upsert_batch(rows[start : start + UPSERT_BATCH], namespace)
        self._namespaces = ([], 0.0)

    async def _upsert_batch(self, rows: list[dict[str, Any]], namespace: str) -> None:
        async def upsert() -> object:
            return await self._index.upsert(vectors=rows, namespace=namespace, show_progress=False)

        await self._call(upsert)

    async def delete(self, ids: Sequence[str], namespace: str) -> None:
        await self._call(lambda: self._index.delete(ids=list(ids), namespace=namespace))

    async def warm(self) -> None:
        """Nothing to load: the index is at Pinecone."""

    async def count(self) -> int:
        stats = await self._call(self._index.describe_index_stats)
        return int(stats.total_vector_count)
