"""Retries, fallbacks and restarts of the model chain, with the guard on the real Redis.

The chat models here are scripted stand-ins for providers (the real adapters are covered by
the contract tests against the emulator); the chain and the guard are the real ones.
"""

import uuid
from collections.abc import Sequence

import pytest

from shared.providers.factory import build_guard
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.chat import ChatMessage, ChunkHandler, Completion
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.resilience.guard import STATS_KEY, ProviderGuard
from shared.resilience.trail import tracking_calls
from shared.resources import Resources

pytestmark = pytest.mark.integration

MESSAGES = [ChatMessage("user", "What is AMH?")]


class ScriptedModel:
    """Fails with the scripted kinds (after `emit_before_failing` chunks), then answers."""

    def __init__(
        self, name: str, failures: Sequence[FailureKind], emit_before_failing: int = 0
    ) -> None:
        self.target = ModelRef("script", f"{name}-{uuid.uuid4().hex[:6]}")
        self.failures = list(failures)
        self.emit_before_failing = emit_before_failing
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.failures:
            kind = self.failures.pop(0)
            retry_after = 0.01 if kind is FailureKind.RATE_LIMITED else None
            raise ProviderFailure(self.target, kind, "scripted", retry_after=retry_after)

    async def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int, on_chunk: ChunkHandler
    ) -> Completion:
        if self.failures:
            for number in range(self.emit_before_failing):
                await on_chunk(f"partial{number} ")
        self._maybe_fail()
        for word in ("AMH ", "reflects ", "ovarian ", "reserve."):
            await on_chunk(word)
        return Completion("AMH reflects ovarian reserve.", 42)

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, json_mode: bool = False
    ) -> Completion:
        self._maybe_fail()
        return Completion(f"answer from {self.target.model}", 42)


@pytest.fixture
def guard(resources: Resources) -> ProviderGuard:
    settings = resources.settings.model_copy(
        update={"provider_max_attempts": 3, "provider_backoff_max_seconds": 0.02}
    )
    return build_guard(settings, resources.redis)


async def test_transient_failures_are_retried_on_the_same_model(guard: ProviderGuard) -> None:
    model = ScriptedModel("a", [FailureKind.TRANSIENT, FailureKind.RATE_LIMITED])
    with tracking_calls() as trail:
        completion = await ModelChain("draft", [model], guard).complete(MESSAGES, 50)
    assert completion.text.startswith("answer from a-")
    assert model.calls == 3
    assert trail.retries == 2 and trail.fallbacks == []
    assert trail.cooldowns == [model.target.key]  # the 429's, which the answer's audit keeps


async def test_a_model_that_keeps_failing_falls_back_to_the_next(
    guard: ProviderGuard, resources: Resources
) -> None:
    first = ScriptedModel("big", [FailureKind.TRANSIENT] * 3)
    second = ScriptedModel("small", [])
    fallbacks_before = int(await resources.redis.hget(STATS_KEY, "fallbacks") or 0)
    with tracking_calls() as trail:
        completion = await ModelChain("draft", [first, second], guard).complete(MESSAGES, 50)
    assert completion.text.startswith("answer from small-")
    assert trail.fallbacks == [second.target.key]
    assert [call["model"] for call in trail.calls] == [first.target.key, second.target.key]
    assert int(await resources.redis.hget(STATS_KEY, "fallbacks") or 0) == fallbacks_before + 1


async def test_the_trail_names_the_breaker_a_call_opened(guard: ProviderGuard) -> None:
    """Answers keep failing on one model until its breaker opens: the answer whose call opened
    it says so, the others do not, and once open the model is no longer called."""
    dead = ScriptedModel("dead", [FailureKind.TRANSIENT] * 100)
    opened: list[list[str]] = []
    while not any(opened) and len(opened) < 20:
        with tracking_calls() as trail:
            await ModelChain("draft", [dead, ScriptedModel("ok", [])], guard).complete(MESSAGES, 50)
        opened.append(trail.breakers_opened)
    assert opened[-1] == [dead.target.key]
    assert not any(opened[:-1])
    calls_before = dead.calls
    await ModelChain("draft", [dead, ScriptedModel("ok", [])], guard).complete(MESSAGES, 50)
    assert dead.calls == calls_before


async def test_permanent_failures_skip_retries_but_still_fall_back(guard: ProviderGuard) -> None:
    first = ScriptedModel("bad-request", [FailureKind.PERMANENT])
    second = ScriptedModel("ok", [])
    await ModelChain("draft", [first, second], guard).complete(MESSAGES, 50)
    assert (first.calls, second.calls) == (1, 1)


async def test_when_every_model_fails_the_last_failure_is_raised(guard: ProviderGuard) -> None:
    models = [ScriptedModel(name, [FailureKind.TRANSIENT] * 3) for name in ("x", "y")]
    with pytest.raises(ProviderFailure) as raised:
        await ModelChain("draft", models, guard).complete(MESSAGES, 50)
    assert raised.value.target == models[1].target


async def test_an_open_breaker_sends_calls_straight_to_the_fallback(
    guard: ProviderGuard, resources: Resources
) -> None:
    first, second = ScriptedModel("open", []), ScriptedModel("closed", [])
    while not await guard.breaker.record_failure(first.target):
        pass
    await ModelChain("draft", [first, second], guard).complete(MESSAGES, 50)
    assert (first.calls, second.calls) == (0, 1)


async def test_a_stream_cut_midway_restarts_before_the_retry(guard: ProviderGuard) -> None:
    model = ScriptedModel("cut", [FailureKind.TRANSIENT], emit_before_failing=2)
    received: list[str] = []

    async def on_chunk(text: str) -> None:
        received.append(text)

    async def on_restart() -> None:
        received.append("<reset>")

    chain = ModelChain("draft", [model], guard)
    completion = await chain.stream(MESSAGES, 50, on_chunk, on_restart)
    assert received[:3] == ["partial0 ", "partial1 ", "<reset>"]
    assert "".join(received[3:]) == completion.text == "AMH reflects ovarian reserve."


async def test_no_restart_when_nothing_had_been_streamed(guard: ProviderGuard) -> None:
    model = ScriptedModel("early", [FailureKind.RATE_LIMITED])
    received: list[str] = []

    async def on_chunk(text: str) -> None:
        received.append(text)

    async def on_restart() -> None:
        received.append("<reset>")

    await ModelChain("draft", [model], guard).stream(MESSAGES, 50, on_chunk, on_restart)
    assert "<reset>" not in received
