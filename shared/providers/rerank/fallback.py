"""A reranker that falls back to another one (the store's own order) when its provider fails for
good: the answer stays grounded, only its ordering is less refined."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared.providers.rerank.base import Reranker
from shared.providers.vectorstore.base import Passage
from shared.resilience.errors import ProviderFailure
from shared.resilience.guard import ProviderGuard

log = logging.getLogger(__name__)


class FallbackReranker:
    def __init__(self, primary: Reranker, fallback: Reranker, guard: ProviderGuard) -> None:
        self._primary = primary
        self._fallback = fallback
        self._guard = guard
        self.name = f"{primary.name} → {fallback.name}"

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        try:
            return await self._primary.rerank(query, passages, top_n)
        except ProviderFailure as failure:
            log.warning(
                "rerank fell back (%s)", failure.kind.value, extra={"model": failure.target.key}
            )
            await self._guard.fell_back("rerank", self._fallback.name)
            return await self._fallback.rerank(query, passages, top_n)
