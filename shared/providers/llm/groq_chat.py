"""Groq chat models (the draft model and the small review/translation/extraction model)."""

from __future__ import annotations

import groq
import httpx

from shared.providers.limits import DEFAULT_MAX_CONNECTIONS, sharded_transport
from shared.providers.llm.openai_compatible import OpenAICompatibleChat
from shared.resilience.errors import ModelRef

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    groq.APIConnectionError,
    groq.APIResponseValidationError,
    httpx.TransportError,
)


def groq_client(
    api_key: str,
    base_url: str | None,
    timeout: float,
    connect_timeout: float,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> groq.AsyncGroq:
    """SDK retries are off: our guard retries with the shared budget and the job's deadline.
    The SDK's own pool (100 connections, 20 kept alive) would cap the streams of a worker."""
    return groq.AsyncGroq(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        http_client=groq.DefaultAsyncHttpxClient(transport=sharded_transport(max_connections)),
    )


def groq_chat(client: groq.AsyncGroq, model: str) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(
        client, ModelRef("groq", model), TRANSIENT_ERRORS, usage_in_stream_option=False
    )
