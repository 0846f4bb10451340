"""What one guarded provider call costs in Redis, and the breaker seen through the guard."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from shared.config import EgressLimit
from shared.providers.factory import build_guard
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.resilience.guard import STATS_KEY, Attempt, ProviderGuard
from shared.resources import Resources

pytestmark = pytest.mark.integration


def fresh_target() -> ModelRef:
    return ModelRef("test", f"model-{uuid.uuid4().hex[:8]}")


def guard_for(resources: Resources, **changes: object) -> ProviderGuard:
    return build_guard(resources.settings.model_copy(update=changes), resources.redis)


@dataclass
class Command:
    text: str
    by_script: bool  # run by a Lua script rather than sent by a client

    @property
    def name(self) -> str:
        return self.text.split()[0]


@asynccontextmanager
async def commands_naming(redis: Redis, names: tuple[str, ...]) -> AsyncIterator[list[Command]]:
    """The commands Redis runs while inside that name any of `names`, in order (MONITOR)."""
    seen: list[Command] = []
    end = f"end-{uuid.uuid4().hex}"
    async with redis.monitor() as monitor:

        async def read() -> None:
            while (info := await monitor.next_command())["command"] != f"ECHO {end}":
                if any(name in info["command"] for name in names):
                    seen.append(Command(info["command"], info["client_type"] == "lua"))

        reading = asyncio.create_task(read())
        try:
            yield seen
            await redis.echo(end)
            await reading
        finally:
            reading.cancel()


def answering(redis: Redis, target: ModelRef, tokens: int) -> Callable[[Attempt], Awaitable[None]]:
    """A provider call that uses `tokens`; it marks its place among the commands with ECHO."""

    async def send(attempt: Attempt) -> None:
        await redis.echo(f"sent {target.key}")
        attempt.tokens_used = tokens

    return send


@pytest.mark.parametrize("limited", [True, False])
async def test_a_successful_call_costs_one_script_before_and_at_most_one_command_after(
    resources: Resources, limited: bool
) -> None:
    target = fresh_target()
    limits = {target.key: EgressLimit(requests_per_minute=600, tokens_per_minute=60_000)}
    guard = guard_for(resources, egress_limits=limits if limited else {})
    redis = resources.redis
    await guard.call("test", target, 100, answering(redis, target, 100))  # scripts now loaded
    async with commands_naming(redis, (target.key, STATS_KEY)) as commands:
        await guard.call("test", target, 100, answering(redis, target, 100))
        await guard.call("test", target, 100, answering(redis, target, 40))
    settle = ["HINCRBY"] if limited else []  # the estimate is corrected only under a limit
    assert [command.name for command in commands if not command.by_script] == [
        "EVALSHA", "ECHO",  # usage as estimated: nothing to write
        "EVALSHA", "ECHO", *settle,
    ]  # fmt: skip
    reads_budgets = "HGETALL" in {command.name for command in commands}
    assert reads_budgets == limited  # the script reads no budget the model does not have


async def test_an_open_breaker_refuses_calls_before_they_are_sent(resources: Resources) -> None:
    target = fresh_target()
    guard = guard_for(
        resources,
        breaker_failure_threshold=3,
        breaker_failure_ratio=0.5,
        provider_max_attempts=1,
    )
    sent = 0

    async def failing(attempt: Attempt) -> None:
        nonlocal sent
        sent += 1
        raise ProviderFailure(target, FailureKind.TRANSIENT, "scripted")

    opened_before = (await guard.stats()).get("breaker_opened", 0)
    for _ in range(3):
        with pytest.raises(ProviderFailure) as raised:
            await guard.call("test", target, 10, failing)
        assert raised.value.kind is FailureKind.TRANSIENT
    assert (await guard.stats())["breaker_opened"] == opened_before + 1
    with pytest.raises(ProviderFailure) as raised:
        await guard.call("test", target, 10, failing)
    assert (raised.value.kind, raised.value.detail) == (
        FailureKind.UNAVAILABLE,
        "circuit breaker open",
    )
    assert sent == 3


def sample(name: str, target: ModelRef, **labels: str) -> float:
    value = REGISTRY.get_sample_value(
        name, {"provider": target.provider, "model": target.model, **labels}
    )
    return value or 0.0


async def test_the_breaker_and_the_calls_show_in_the_metrics(resources: Resources) -> None:
    target = fresh_target()
    guard = guard_for(
        resources, breaker_failure_threshold=2, breaker_failure_ratio=0.5, provider_max_attempts=1
    )

    async def failing(attempt: Attempt) -> None:
        raise ProviderFailure(target, FailureKind.TRANSIENT, "scripted")

    await guard.call("test", target, 10, answering(resources.redis, target, 10))
    assert [m.samples[0].value for m in await guard.breaker_metrics()] == [0]
    for _ in range(3):
        with pytest.raises(ProviderFailure):
            await guard.call("test", target, 10, failing)

    (state,) = await guard.breaker_metrics()
    assert [(s.labels["model"], s.value) for s in state.samples] == [(target.model, 1)]
    assert sample("izana_provider_calls_total", target, status="ok") == 1
    assert sample("izana_provider_calls_total", target, status="transient") == 2
    assert sample("izana_provider_calls_total", target, status="unavailable") == 1
    assert sample("izana_breaker_opened_total", target) == 1
    assert sample("izana_provider_call_seconds_count", target) == 3
