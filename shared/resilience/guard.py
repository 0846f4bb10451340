"""Every provider call passes this guard: breaker → shared budget → call → reconcile, retried.

The breaker check and the budget's reservation are one Redis script; after a successful call
the guard writes at most once, to correct the token estimate. Adapters raise
`ProviderFailure` only; the guard turns 429s into shared cooldowns, counts failures towards
the breaker and keeps fleet-wide counters in Redis.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client.core import GaugeMetricFamily, Metric
from redis.asyncio import Redis
from tenacity import RetryCallState

from shared.observability.metrics import (
    BREAKER_OPENED,
    PROVIDER_CALLS,
    PROVIDER_COOLDOWNS,
    PROVIDER_FALLBACKS,
    PROVIDER_LATENCY,
    PROVIDER_RETRIES,
)
from shared.observability.tracing import span
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
        self.targets: set[ModelRef] = set()  # those called so far, for their breakers' state

    async def count(self, event: str) -> None:
        await self._redis.hincrby(STATS_KEY, event, 1)  # type: ignore[misc]

    async def fell_back(self, role: str, to: str) -> None:
        """A call of `role` goes on to the next model `to` (named in the audit trail)."""
        current_trail().fallbacks.append(to)
        PROVIDER_FALLBACKS.labels(role=role, model=to).inc()
        await self.count("fallbacks")

    async def stats(self) -> dict[str, int]:
        return {name: int(value) for name, value in (await self._redis.hgetall(STATS_KEY)).items()}  # type: ignore[misc]

    @asynccontextmanager
    async def attempt(self, target: ModelRef, estimated_tokens: int) -> AsyncIterator[Attempt]:
        """One try at `target`; set `tokens_used` from the provider's usage before leaving."""
        self.targets.add(target)
        labels = _labels(target)
        try:
            reservation = await self.limiter.acquire(target, estimated_tokens, self.breaker)
        except ProviderFailure as refused:  # the breaker is open, or no budget in time
            PROVIDER_CALLS.labels(**labels, status=refused.kind.value).inc()
            raise
        attempt, sent = Attempt(reservation), time.perf_counter()
        try:
            yield attempt
        except ProviderFailure as failure:
            PROVIDER_CALLS.labels(**labels, status=failure.kind.value).inc()
            await self._after_failure(failure)
            raise
        finally:
            PROVIDER_LATENCY.labels(**labels).observe(time.perf_counter() - sent)
        PROVIDER_CALLS.labels(**labels, status="ok").inc()
        await self.limiter.settle(attempt.reservation, attempt.tokens_used)

    async def _after_failure(self, failure: ProviderFailure) -> None:
        labels = _labels(failure.target)
        if failure.kind is FailureKind.RATE_LIMITED:
            seconds = failure.retry_after or DEFAULT_COOLDOWN_SECONDS
            if await self.limiter.cool_down(failure.target, seconds):
                current_trail().cooldowns.append(failure.target.key)
                PROVIDER_COOLDOWNS.labels(**labels).inc()
                await self.count("cooldowns")
        elif failure.kind is FailureKind.TRANSIENT and await self.breaker.record_failure(
            failure.target
        ):
            current_trail().breakers_opened.append(failure.target.key)
            BREAKER_OPENED.labels(**labels).inc()
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

        attributes = {"izana.role": role, "izana.provider": target.provider,
                      "izana.model": target.model}  # fmt: skip
        try:
            with span(f"provider {role}", attributes):
                return await retrying(self.policy, self._note_retry)(once)
        finally:
            if attempts > 1:
                PROVIDER_RETRIES.labels(**_labels(target)).inc(attempts - 1)
                await self._redis.hincrby(STATS_KEY, "retries", attempts - 1)  # type: ignore[misc]
            current_trail().record_call(role, target.key, attempts)

    async def breaker_metrics(self) -> list[Metric]:
        """Whether the breaker of each model this process has called is open, read from Redis
        when Prometheus scrapes (the breaker is shared by every worker)."""
        targets = sorted(self.targets, key=lambda target: target.key)
        async with self._redis.pipeline(transaction=False) as pipe:
            for target in targets:
                pipe.exists(self.breaker.keys(target)[1])
            open_flags = await pipe.execute()
        family = GaugeMetricFamily(
            "izana_breaker_open", "1 while the model's circuit breaker is open.",
            labels=["provider", "model"],
        )  # fmt: skip
        for target, is_open in zip(targets, open_flags, strict=True):
            family.add_metric([target.provider, target.model], int(is_open))
        return [family]


def _labels(target: ModelRef) -> dict[str, str]:
    """The metric labels of a provider's model."""
    return {"provider": target.provider, "model": target.model}
