"""Every provider call passes this guard: breaker → shared budget → call → reconcile, retried.

The breaker check and the budget's reservation are one Redis script; after a successful call
the guard writes at most once, to correct the token estimate. Adapters raise
`ProviderFailure` only; the guard turns 429s into shared cooldowns, counts failures towards
the breaker and keeps fleet-wide counters in Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis
from tenacity import RetryCallState

from shared.resilience.breaker import CircuitBreaker
from shared.resilience.egress import EgressLimiter, Reservation
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.resilience.retry import RetryPolicy, retrying
from shared.resilience.trail import current_trail

T = TypeVar("T")

STATS_KEY = "izana:stats:providers"
DEFAULT_COOLDOWN_SECONDS = 1.0


@dataclass
class Attempt:
    reservation: Reservation
    tokens_used: int | None = None


class ProviderGuard:
    def __init__(
        self, redis: Redis, limiter: EgressLimiter, breaker: CircuitBreaker, policy: RetryPolicy
    ) -> None:
        self._redis = redis
        self.limiter = limiter
        self.breaker = breaker
        self.policy = policy

    async def count(self, event: str) -> None:
        await self._redis.hincrby(STATS_KEY, event, 1)  # type: ignore[misc]

    async def stats(self) -> dict[str, int]:
        return {name: int(value) for name, value in (await self._redis.hgetall(STATS_KEY)).items()}  # type: ignore[misc]

    @asynccontextmanager
    async def attempt(self, target: ModelRef, estimated_tokens: int) -> AsyncIterator[Attempt]:
        """One try at `target`; set `tokens_used` from the provider's usage before leaving."""
        attempt = Attempt(await self.limiter.acquire(target, estimated_tokens, self.breaker))
        try:
            yield attempt
        except ProviderFailure as failure:
            await self._after_failure(failure)
            raise
        await self.limiter.settle(attempt.reservation, attempt.tokens_used)

    async def _after_failure(self, failure: ProviderFailure) -> None:
        if failure.kind is FailureKind.RATE_LIMITED:
            seconds = failure.retry_after or DEFAULT_COOLDOWN_SECONDS
            if await self.limiter.cool_down(failure.target, seconds):
                await self.count("cooldowns")
        elif failure.kind is FailureKind.TRANSIENT and await self.breaker.record_failure(
            failure.target
        ):
            await self.count("breaker_opened")

    def _note_retry(self, retry_state: RetryCallState) -> None:
        current_trail().retries += 1

    async def call(
        self,
        role: str,
        target: ModelRef,
        estimated_tokens: int,
        send: Callable[[Attempt], Awaitable[T]],
    ) -> T:
        """`send` with retries; it reports the provider's usage on the attempt it is given."""
        attempts = 0

        async def once() -> T:
            nonlocal attempts
            attempts += 1
            async with self.attempt(target, estimated_tokens) as attempt:
                return await send(attempt)

        try:
            return await retrying(self.policy, self._note_retry)(once)
        finally:
            if attempts > 1:
                await self._redis.hincrby(STATS_KEY, "retries", attempts - 1)  # type: ignore[misc]
            current_trail().record_call(role, target.key, attempts)
