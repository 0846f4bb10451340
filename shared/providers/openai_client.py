"""The OpenAI SDK's client, shared by OpenAI's (and compatible servers') chat and embedding
models, and the errors of it that are worth another try."""

from __future__ import annotations

import httpx2
import openai

from shared.providers.limits import DEFAULT_MAX_CONNECTIONS

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    openai.APIConnectionError,
    openai.APIResponseValidationError,
    httpx2.TransportError,  # the transport this SDK version is built on
)


def openai_client(
    api_key: str,
    base_url: str | None,
    timeout: float,
    connect_timeout: float,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> openai.AsyncOpenAI:
    """SDK retries are off: our guard retries with the shared budget and the job's deadline.
    Up to `max_connections` requests (streams included) run at once, all kept alive."""
    limits = httpx2.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        timeout=openai.Timeout(timeout, connect=connect_timeout),
        http_client=openai.DefaultAsyncHttpxClient(limits=limits),
    )
