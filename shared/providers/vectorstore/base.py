"""The vector store Protocol and the passage types it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    """One passage of the knowledge base: as shipped in `data/knowledge_base/*.jsonl`, as stored
    in `knowledge_passage`, and as a search returns it (with its score)."""

    id: str
    title: str
    question: str
    body: str
    source: str
    url: str
    category: str
    question_type: str
    score: float = 0.0  # the search's; 0 outside a search

    def content(self) -> dict[str, str]:
        """Every field but the score: what the knowledge base keeps of the passage."""
        fields = asdict(self)
        del fields["score"]
        return fields


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
