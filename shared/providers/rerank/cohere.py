"""Cohere rerank (v2 API), through the provider guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cohere
import httpx
from cohere.core.request_options import RequestOptions

from shared.providers.limits import DEFAULT_MAX_CONNECTIONS, sharded_transport
from shared.providers.vectorstore.base import Passage
from shared.resilience.errors import ModelRef, to_failure
from shared.resilience.guard import Attempt, ProviderGuard

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (httpx.TransportError,)
# Retries are ours (shared budget, deadline); the SDK's own would multiply them.
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}


def cohere_client(
    api_key: str,
    base_url: str | None,
    timeout: float,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> cohere.AsyncClientV2:
    """With our own httpx client: the SDK's would allow httpx's default of 100 connections."""
    http = httpx.AsyncClient(timeout=timeout, transport=sharded_transport(max_connections))
    if base_url:
        return cohere.AsyncClientV2(
            api_key=api_key, base_url=base_url, timeout=timeout, httpx_client=http
        )
    return cohere.AsyncClientV2(api_key=api_key, timeout=timeout, httpx_client=http)


def _document(passage: Passage) -> str:
    return f"{passage.title}\n{passage.question}\n{passage.body}"


class CohereReranker:
    def __init__(self, client: cohere.AsyncClientV2, model: str, guard: ProviderGuard) -> None:
        self._client = client
        self._target = ModelRef("cohere", model)
        self._guard = guard
        self.name = self._target.key

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        documents = [_document(passage) for passage in passages]

        async def send(attempt: Attempt) -> list[tuple[int, float]]:
            try:
                response = await self._client.rerank(
                    model=self._target.model,
                    query=query,
                    documents=documents,
                    top_n=top_n,
                    request_options=NO_SDK_RETRIES,
                )
            except Exception as error:
                raise to_failure(error, self._target, TRANSIENT_ERRORS) from error
            return [(result.index, result.relevance_score) for result in response.results]

        ranked = await self._guard.call("rerank", self._target, 0, send)
        return [replace(passages[index], score=score) for index, score in ranked]
