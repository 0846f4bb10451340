"""The offline reranker: keeps the store's fused order. Reordering by term coverage lowered
nDCG@10 on the consumer questions (docs/benchmarks/retrieval.md), so nothing is reordered."""

from __future__ import annotations

from collections.abc import Sequence

from shared.providers.vectorstore.base import Passage


class RetrievalOrderReranker:
    name = "retrieval-order"

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        return list(passages[:top_n])
