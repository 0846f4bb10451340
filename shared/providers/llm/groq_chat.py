"""Groq chat models (the draft model and the small review/translation/extraction model)."""

from __future__ import annotations

import groq
import httpx

from shared.providers.llm.openai_compatible import OpenAICompatibleChat
from shared.resilience.errors import ModelRef

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    groq.APIConnectionError,
    groq.APIResponseValidationError,
    httpx.TransportError,
)


def groq_client(
    api_key: str, base_url: str | None, timeout: float, connect_timeout: float
) -> groq.AsyncGroq:
    """SDK retries are off: our guard retries with the shared budget and the job's deadline."""
    return groq.AsyncGroq(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
    )


def groq_chat(client: groq.AsyncGroq, model: str) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(
        client, ModelRef("groq", model), TRANSIENT_ERRORS, usage_in_stream_option=False
    )
