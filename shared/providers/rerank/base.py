"""The reranker Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.providers.vectorstore.base import Passage


class Reranker(Protocol):
    name: str

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        """The `top_n` most relevant passages, best first, with their rerank scores."""
        ...
