"""The emulator's settings, timing, provider-side limits, counters and reset."""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai
import pytest

from emulator import RunningEmulator
from emulator.counters import Bucket, rolling_windows

pytestmark = pytest.mark.contract

MODEL = "gpt-4o-mini"
MESSAGES: list[Any] = [{"role": "user", "content": "What is IVF?"}]  # 12 characters: 3 tokens


async def test_settings_change_partially_and_are_validated(emulator: RunningEmulator) -> None:
    changed = await emulator.configure(ttft_ms=5, rate_429=0.25)

    assert (changed.ttft_ms, changed.rate_429, changed.completion_tokens) == (5, 0.25, 40)
    assert await emulator.config() == changed
    async with httpx.AsyncClient(base_url=emulator.url) as plain:
        too_many = await plain.put("/_emulator/config", json={"rate_500": 0.9})
        unknown = await plain.put("/_emulator/config", json={"no_such_setting": 1})
    assert too_many.status_code == unknown.status_code == 422
    assert (await emulator.config()) == changed


async def test_ttft_and_tokens_per_second_pace_the_answer(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(ttft_ms=200, tokens_per_second=100, completion_tokens=11)

    started = time.perf_counter()
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    arrivals = [time.perf_counter() - started async for chunk in stream if chunk.choices]

    assert arrivals[0] >= 0.2
    assert arrivals[-1] - arrivals[0] >= 10 / 100 * 0.9  # ten pauses between eleven tokens


async def test_an_rpm_limit_answers_429_with_retry_after(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rpm_limit=2)

    await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as raised:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    other_model = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert 1 <= int(raised.value.response.headers["retry-after"]) <= 60
    assert other_model.choices[0].finish_reason == "stop"  # limits are per model
    stats = await emulator.stats()
    series = next(s for s in stats["series"] if s["model"] == MODEL)
    assert series["totals"]["outcomes"]["over_limit"] == 1
    assert series["windows"]["max_requests"] == 3 and series["windows"]["windows_over_rpm"] > 0


async def test_a_tpm_limit_counts_the_tokens_of_the_answer(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(tpm_limit=60)  # each answer costs 3 + 40 tokens

    await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    short = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=10)

    assert short.usage is not None and short.usage.total_tokens == 13


async def test_counters_record_requests_tokens_and_outcomes_per_second(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    answers = [
        await client.chat.completions.create(model=MODEL, messages=MESSAGES) for _ in range(3)
    ]
    await client.embeddings.create(model="text-embedding-3-small", input="What is IVF?")
    await emulator.configure(rate_503=1.0)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    stats = await emulator.stats(rpm_limit=3, tpm_limit=1000)
    series = {(s["kind"], s["model"]): s for s in stats["series"]}
    chat = series[("chat", MODEL)]
    reported = sum(answer.usage.total_tokens for answer in answers if answer.usage)
    assert chat["totals"]["requests"] == 4 and chat["totals"]["tokens"] == reported
    assert chat["totals"]["outcomes"]["ok"] == 3 and chat["totals"]["outcomes"]["503"] == 1
    assert sum(second["requests"] for second in chat["seconds"]) == 4
    assert all(isinstance(second["second"], int) for second in chat["seconds"])
    assert chat["windows"]["max_requests"] == 4 and chat["windows"]["windows_over_tpm"] == 0
    assert chat["windows"]["windows_over_rpm"] > 0
    assert series[("embeddings", "text-embedding-3-small")]["totals"]["tokens"] == 3
    assert stats["totals"]["requests"] == 5 and stats["limits"] == {"rpm": 3, "tpm": 1000}


def test_rolling_windows_find_the_busiest_minute_and_count_windows_over() -> None:
    buckets = {0: Bucket(requests=5, tokens=50), 30: Bucket(5, 50), 70: Bucket(5, 50)}

    summary = rolling_windows(buckets, rpm_limit=9, tpm_limit=None)

    assert (summary.max_requests, summary.max_tokens) == (10, 100)
    # windows [s-59, s] holding 0 and 30: s = 30..59; holding 30 and 70: s = 70..89
    assert summary.windows_over_rpm == 30 + 20
    assert summary.windows_over_tpm is None


async def test_reset_clears_counters_and_vectors(emulator: RunningEmulator) -> None:
    await emulator.configure(embedding_dimensions=2)
    async with httpx.AsyncClient(base_url=emulator.url, headers={"Api-Key": "k"}) as plain:
        await plain.post("/vectors/upsert", json={"vectors": [{"id": "a", "values": [1, 0]}]})
        await emulator.reset()
        stats = (await plain.post("/describe_index_stats", json={})).json()

    assert stats["totalVectorCount"] == 0 and stats["namespaces"] == {}
    assert (await emulator.stats())["totals"]["requests"] == 1  # the describe after the reset
    assert (await emulator.config()).embedding_dimensions == 2  # settings survive a reset


async def test_the_latest_prompts_are_kept_until_a_reset(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    for question in ("What is IVF?", "What is AMH?"):
        await client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": question},
            ],
        )
    prompts = await emulator.prompts()
    assert prompts[-2:] == [
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": question}]
        for question in ("What is IVF?", "What is AMH?")
    ]
    await emulator.reset()
    assert await emulator.prompts() == []
