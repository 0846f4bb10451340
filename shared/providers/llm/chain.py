"""A fallback chain of chat models for one role (e.g. Groq 70b → Groq 8b → OpenAI).

Each model gets the guard's retries; the next model is tried only when the previous one failed
for good. Which model answered, and after which fallbacks, goes into the answer's audit trail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from shared.providers.llm.chat import ChatMessage, ChatModel, ChunkHandler, Completion
from shared.providers.llm.chat import estimate_tokens as estimated
from shared.resilience.errors import ProviderFailure
from shared.resilience.guard import Attempt, ProviderGuard

T = TypeVar("T")
Restart = Callable[[], Awaitable[None]]


@dataclass
class _StreamState:
    """Whether chunks of a failed attempt reached the reader (who must then discard them)."""

    emitted: bool = False


class ModelChain:
    def __init__(self, role: str, models: Sequence[ChatModel], guard: ProviderGuard) -> None:
        if not models:
            raise ValueError(f"the {role} chain needs at least one model")
        self.role = role
        self.models = tuple(models)
        self._guard = guard

    @property
    def name(self) -> str:
        return " → ".join(model.target.key for model in self.models)

    async def _each_model(self, call: Callable[[ChatModel], Awaitable[T]]) -> T:
        last_failure: ProviderFailure | None = None
        for index, model in enumerate(self.models):
            if index:
                await self._guard.fell_back(self.role, model.target.key)
            try:
                return await call(model)
            except ProviderFailure as failure:
                last_failure = failure
        assert last_failure is not None  # the loop ran at least once
        raise last_failure

    async def _guarded(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        call: Callable[[ChatModel], Awaitable[Completion]],
    ) -> Completion:
        """`call` on each model in turn, through the guard, reconciled with its usage."""

        async def on(model: ChatModel) -> Completion:
            async def send(attempt: Attempt) -> Completion:
                completion = await call(model)
                attempt.tokens_used = completion.tokens_used
                return completion

            tokens = estimated(messages, max_tokens)
            return await self._guard.call(self.role, model.target, tokens, send)

        return await self._each_model(on)

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, json_mode: bool = False
    ) -> Completion:
        return await self._guarded(
            messages, max_tokens, lambda model: model.complete(messages, max_tokens, json_mode)
        )

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        on_chunk: ChunkHandler,
        on_restart: Restart,
    ) -> Completion:
        """Stream through the chain; `on_restart` runs before a retry or fallback whose
        predecessor had already emitted chunks, so no reader keeps a cut-off answer."""
        state = _StreamState()

        async def forward(chunk: str) -> None:
            state.emitted = True
            await on_chunk(chunk)

        async def attempt(model: ChatModel) -> Completion:
            if state.emitted:
                await on_restart()
                state.emitted = False
            return await model.stream(messages, max_tokens, forward)

        return await self._guarded(messages, max_tokens, attempt)
