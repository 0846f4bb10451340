"""The vector store Protocol and the passage types it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    question: str
    body: str
    source: str
    url: str
    category: str
    question_type: str
    score: float


@dataclass(frozen=True)
class SearchQuery:
    text: str
    top_k: int
    embedding: Sequence[float] | None = None
    namespace: str | None = None


class VectorStore(Protocol):
    name: str

    async def search(self, query: SearchQuery) -> list[Passage]: ...

    async def count(self) -> int: ...

    async def warm(self) -> None:
        """Load what the first search would otherwise wait for (an in-memory index)."""
        ...
