"""Embeddings from OpenAI or any OpenAI-compatible server, through the provider guard."""

from __future__ import annotations

from collections.abc import Sequence

import openai

from shared.providers.embeddings.base import Purpose
from shared.providers.openai_client import TRANSIENT_ERRORS
from shared.resilience.errors import ModelRef, to_failure
from shared.resilience.guard import Attempt, ProviderGuard

BATCH_SIZE = 128


class OpenAIEmbedder:
    def __init__(
        self,
        client: openai.AsyncOpenAI,
        target: ModelRef,
        dimensions: int | None,
        guard: ProviderGuard,
    ) -> None:
        self._client = client
        self._target = target
        self._dimensions = dimensions
        self._guard = guard
        # The name keys the embedding cache, so vectors of another size are never served.
        self.name = f"{target.key}/{dimensions}d" if dimensions else target.key

    async def _batch(self, texts: list[str]) -> list[list[float]]:
        dimensions = self._dimensions or openai.omit

        async def send(attempt: Attempt) -> list[list[float]]:
            try:
                response = await self._client.embeddings.create(
                    model=self._target.model,
                    input=texts,
                    encoding_format="float",
                    dimensions=dimensions,
                )
            except Exception as error:
                raise to_failure(error, self._target, TRANSIENT_ERRORS) from error
            attempt.tokens_used = response.usage.total_tokens
            ordered = sorted(response.data, key=lambda item: item.index)
            return [list(item.embedding) for item in ordered]

        estimate = sum(len(text) for text in texts) // 3 + len(texts)
        return await self._guard.call("embed", self._target, estimate, send)

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        """OpenAI's models are symmetric: `purpose` changes nothing."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            vectors.extend(await self._batch(list(texts[start : start + BATCH_SIZE])))
        return vectors

    async def warm(self) -> None:
        """Nothing to load: the model runs at the provider."""
