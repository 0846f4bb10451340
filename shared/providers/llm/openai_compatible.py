"""Chat over the OpenAI wire format, for any client that mirrors the OpenAI SDK's surface
(`openai.AsyncOpenAI` for OpenAI and OpenAI-compatible servers, `groq.AsyncGroq` for Groq)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.providers.llm.chat import ChatMessage, ChunkHandler, Completion
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure, to_failure


def _wire(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": message.role, "content": message.content} for message in messages]


def _total_tokens(usage: Any) -> int | None:
    return None if usage is None else int(usage.total_tokens)


def _chunk_tokens(chunk: Any) -> int | None:
    """Usage on a stream chunk: OpenAI's `usage`, or Groq's `x_groq.usage`."""
    groq_extra = getattr(chunk, "x_groq", None)
    return _total_tokens(chunk.usage or getattr(groq_extra, "usage", None))


class OpenAICompatibleChat:
    def __init__(
        self,
        client: Any,
        target: ModelRef,
        transient: tuple[type[BaseException], ...],
        usage_in_stream_option: bool = True,
    ) -> None:
        # `client` is typed Any: the OpenAI and Groq SDKs share this surface but no base class.
        self._client = client
        self.target = target
        self._transient = transient
        # OpenAI sends stream usage only when asked; Groq always does (in `x_groq`).
        self._stream_extra = (
            {"stream_options": {"include_usage": True}} if usage_in_stream_option else {}
        )

    def _failure(self, error: BaseException) -> ProviderFailure:
        return to_failure(error, self.target, self._transient)

    async def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int, on_chunk: ChunkHandler
    ) -> Completion:
        parts: list[str] = []
        finished = False
        tokens_used: int | None = None
        try:
            chunks = await self._client.chat.completions.create(
                model=self.target.model,
                messages=_wire(messages),
                max_tokens=max_tokens,
                stream=True,
                **self._stream_extra,
            )
            async for chunk in chunks:
                tokens_used = _chunk_tokens(chunk) or tokens_used
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        await on_chunk(choice.delta.content)
                    finished = finished or choice.finish_reason is not None
        except ProviderFailure:
            raise
        except Exception as error:
            raise self._failure(error) from error
        if not finished:
            # The SDK's iterator ends quietly when the connection closes early.
            raise ProviderFailure(self.target, FailureKind.TRANSIENT, "stream ended early")
        return Completion("".join(parts), tokens_used)

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, json_mode: bool = False
    ) -> Completion:
        extra = {"response_format": {"type": "json_object"}} if json_mode else {}
        try:
            response = await self._client.chat.completions.create(
                model=self.target.model, messages=_wire(messages), max_tokens=max_tokens, **extra
            )
            text = response.choices[0].message.content or ""
        except Exception as error:
            raise self._failure(error) from error
        return Completion(text, _total_tokens(response.usage))
