"""The chat-model Protocol: one provider model that streams or completes a conversation.

Adapters raise `ProviderFailure` (never an SDK exception) and report the tokens the provider
says it used, so the egress budget can be reconciled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from shared.resilience.errors import ModelRef

Role = Literal["system", "user", "assistant"]
ChunkHandler = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_used: int | None


class ChatModel(Protocol):
    target: ModelRef

    async def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int, on_chunk: ChunkHandler
    ) -> Completion:
        """Hand each text chunk to `on_chunk` as it arrives; the whole text at the end.

        A stream that ends before the model said it finished is a (transient) failure.
        """
        ...

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, json_mode: bool = False
    ) -> Completion: ...


def estimate_tokens(messages: Sequence[ChatMessage], max_tokens: int) -> int:
    """An upper estimate reserved before the call: ~3 characters per prompt token, plus the
    whole completion allowance (providers count `max_tokens` against the budget too)."""
    return sum(len(message.content) for message in messages) // 3 + 8 + max_tokens
