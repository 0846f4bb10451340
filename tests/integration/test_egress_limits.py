"""The shared egress budget, cooldowns and breaker on the real Redis, across processes."""

import asyncio
import sys
import uuid
from dataclasses import replace

import pytest

from shared.config import EgressLimit, Settings
from shared.resilience.breaker import BreakerPolicy, CircuitBreaker
from shared.resilience.deadline import deadline_in
from shared.resilience.egress import WINDOW_SECONDS, EgressLimiter
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.resources import Resources

pytestmark = pytest.mark.integration


BREAKER = BreakerPolicy(min_failures=3, failure_ratio=0.5, window_seconds=30, open_seconds=0.3)


def fresh_target() -> ModelRef:
    return ModelRef("test", f"model-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def breaker(resources: Resources) -> CircuitBreaker:
    return CircuitBreaker(resources.redis, BREAKER)


async def reserve_within(
    limiter: EgressLimiter, breaker: CircuitBreaker, target: ModelRef, tokens: int
) -> bool:
    """Reserve if the budget has room now (the deadline leaves no time to wait)."""
    try:
        with deadline_in(0.05):
            await limiter.acquire(target, tokens, breaker)
    except ProviderFailure as failure:
        refused_for_budget = failure.kind is FailureKind.UNAVAILABLE
        assert refused_for_budget
        return False
    return True


# Pacing over the whole window: only the minute's budget applies.
NO_PACING = WINDOW_SECONDS


async def test_requests_per_minute_are_never_exceeded(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(requests_per_minute=5)}
    limiter = EgressLimiter(resources.redis, limits, pacing_seconds=NO_PACING)
    granted = [await reserve_within(limiter, breaker, target, 1) for _ in range(8)]
    assert granted == [True] * 5 + [False] * 3


async def early_in_a_second(resources: Resources) -> None:
    """Wait for the first half of a second on Redis's clock, so that a few quick calls all fall
    in one of the limiter's per-second buckets."""
    _, microseconds = await resources.redis.time()
    if microseconds > 500_000:
        await asyncio.sleep(1 - microseconds / 1e6)


async def test_a_backlog_is_paced_through_the_minute(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(requests_per_minute=60)}
    limiter = EgressLimiter(resources.redis, limits, pacing_seconds=1)
    await early_in_a_second(resources)
    granted = [await reserve_within(limiter, breaker, target, 1) for _ in range(3)]
    assert granted == [True, False, False]  # one a second: the minute's share of a second
    await asyncio.sleep(1.05)
    assert await reserve_within(limiter, breaker, target, 1)


async def test_a_call_larger_than_the_pacing_share_still_goes_alone(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(tokens_per_minute=6000)}
    limiter = EgressLimiter(resources.redis, limits)  # 1,500 tokens per 15 s
    assert await reserve_within(limiter, breaker, target, 2000)
    assert not await reserve_within(limiter, breaker, target, 10)


async def test_tokens_are_reserved_then_reconciled_with_usage(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(tokens_per_minute=1000)}
    limiter = EgressLimiter(resources.redis, limits, pacing_seconds=NO_PACING)
    with deadline_in(1):
        first = await limiter.acquire(target, 600, breaker)
    assert not await reserve_within(limiter, breaker, target, 600)
    await limiter.settle(first, 100)  # the provider used far fewer than estimated
    assert await reserve_within(limiter, breaker, target, 600)


async def test_a_waiting_caller_gets_the_tokens_a_settled_call_gave_back(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(tokens_per_minute=1000)}
    limiter = EgressLimiter(resources.redis, limits, pacing_seconds=NO_PACING)
    with deadline_in(5):
        first = await limiter.acquire(target, 900, breaker)
        waiting = asyncio.create_task(limiter.acquire(target, 500, breaker))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the minute's budget is spent for the next 61 s
        await limiter.settle(first, 300)
        reservation = await asyncio.wait_for(waiting, 3)  # long before the window frees it
    assert reservation.tokens == 500


async def test_a_cooldown_holds_every_caller_until_it_ends(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limiter = EgressLimiter(resources.redis, {})
    assert await limiter.cool_down(target, 0.3)
    assert not await limiter.cool_down(target, 0.1)  # never shortened
    assert not await reserve_within(limiter, breaker, target, 1)
    await asyncio.sleep(0.35)
    assert await reserve_within(limiter, breaker, target, 1)


RESERVER = """
import asyncio, sys
from redis.asyncio import Redis
from shared.config import EgressLimit
from shared.resilience.deadline import deadline_in
from shared.resilience.breaker import BreakerPolicy, CircuitBreaker
from shared.resilience.egress import EgressLimiter
from shared.resilience.errors import ModelRef, ProviderFailure

async def main(url: str, model: str, attempts: int) -> None:
    redis = Redis.from_url(url, decode_responses=True)
    target = ModelRef("test", model)
    limits = {target.key: EgressLimit(requests_per_minute=25)}
    limiter = EgressLimiter(redis, limits, pacing_seconds=61)  # the minute's budget only
    breaker = CircuitBreaker(redis, BreakerPolicy(3, 0.5, 30, 0.3))
    granted = 0
    for _ in range(attempts):
        try:
            with deadline_in(0.05):
                await limiter.acquire(target, 10, breaker)
            granted += 1
        except ProviderFailure:
            pass
    print(granted)
    await redis.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_share_one_budget(settings: Settings) -> None:
    model = f"model-{uuid.uuid4().hex[:8]}"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", RESERVER, str(settings.redis_url), model, "20",
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    outputs = [await process.communicate() for process in processes]
    granted = [int(stdout.decode()) for stdout, _ in outputs]
    assert sum(granted) == 25  # 40 asked for, exactly the budget given, split between them


async def test_the_breaker_opens_when_most_recent_calls_fail(
    resources: Resources, breaker: CircuitBreaker
) -> None:
    target = fresh_target()
    limiter = EgressLimiter(resources.redis, {})
    opened = []
    for _ in range(3):
        await limiter.acquire(target, 1, breaker)
        opened.append(await breaker.record_failure(target))
    assert opened == [False, False, True]
    with pytest.raises(ProviderFailure, match="circuit breaker open"):
        await limiter.acquire(target, 1, breaker)
    await asyncio.sleep(0.35)
    assert await reserve_within(limiter, breaker, target, 1)  # calls go through again


async def test_a_degraded_model_that_mostly_succeeds_stays_closed(resources: Resources) -> None:
    target = fresh_target()
    breaker = CircuitBreaker(resources.redis, replace(BREAKER, open_seconds=5))
    limiter = EgressLimiter(resources.redis, {})
    opened = []
    for _ in range(10):  # 30 % of calls fail, as in a flaky provider
        for fails in (False, True, False, False, True, False, True, False, False, False):
            await limiter.acquire(target, 1, breaker)  # counts the call for the breaker
            if fails:
                opened.append(await breaker.record_failure(target))
    assert not any(opened) and await reserve_within(limiter, breaker, target, 1)
