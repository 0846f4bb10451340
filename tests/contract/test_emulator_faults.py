"""Each fault the emulator injects, seen the way an SDK client (or plain httpx) sees it."""

from __future__ import annotations

import json
from typing import Any

import groq
import httpx
import openai
import pytest

from emulator import RunningEmulator

pytestmark = pytest.mark.contract

MODEL = "gpt-4o-mini"
MESSAGES: list[Any] = [{"role": "user", "content": "What is IVF?"}]
AUTH = {"Authorization": "Bearer test-key"}
CHAT = {"model": MODEL, "messages": MESSAGES}


async def outcomes(emulator: RunningEmulator) -> dict[str, int]:
    counted: dict[str, int] = (await emulator.stats())["totals"]["outcomes"]
    return {name: count for name, count in counted.items() if count}


async def test_a_429_carries_retry_after_and_openai_error_body(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_429=1.0, retry_after_seconds=3)

    with pytest.raises(openai.RateLimitError) as raised:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert raised.value.response.headers["retry-after"] == "3"
    assert raised.value.code == "rate_limit_exceeded"
    assert await outcomes(emulator) == {"429": 1}


async def test_groq_sees_a_429_in_its_own_sdk(emulator: RunningEmulator) -> None:
    await emulator.configure(rate_429=1.0)

    async with groq.AsyncGroq(api_key="k", base_url=emulator.url, max_retries=0) as client:
        with pytest.raises(groq.RateLimitError) as raised:
            await client.chat.completions.create(model="llama-3.3-70b-versatile", messages=MESSAGES)

    assert raised.value.response.headers["retry-after"] == "1"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_reach_the_sdk_as_status_errors(
    client: openai.AsyncOpenAI, emulator: RunningEmulator, status: int
) -> None:
    await emulator.configure(**{f"rate_{status}": 1.0})

    with pytest.raises(openai.InternalServerError) as raised:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)

    assert raised.value.status_code == status
    assert "retry-after" not in raised.value.response.headers


async def test_a_reset_is_a_connection_error_not_a_status(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_reset=1.0)

    with pytest.raises(openai.APIConnectionError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    async with httpx.AsyncClient(base_url=emulator.url, headers=AUTH) as plain:
        with pytest.raises(httpx.TransportError):
            await plain.post("/v1/embeddings", json={"model": "e", "input": "x"})

    assert await outcomes(emulator) == {"reset": 2}


async def test_a_hang_trips_the_client_timeout(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_timeout=1.0, hang_seconds=2)

    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, timeout=0.2
        )
    async with httpx.AsyncClient(base_url=emulator.url, headers=AUTH, timeout=0.2) as plain:
        with pytest.raises(httpx.ReadTimeout):
            await plain.post("/v2/rerank", json={"model": "r", "query": "q", "documents": ["d"]})

    assert await outcomes(emulator) == {"timeout": 2}


async def test_malformed_bodies_fail_json_decoding(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_malformed=1.0)

    with pytest.raises(json.JSONDecodeError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    with pytest.raises(json.JSONDecodeError):
        async for _ in stream:
            pass
    async with httpx.AsyncClient(base_url=emulator.url, headers={"Api-Key": "k"}) as plain:
        response = await plain.post("/describe_index_stats", json={})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_a_truncated_stream_ends_cleanly_without_finish_reason_or_done(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_truncate=1.0)

    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    chunks = [chunk async for chunk in stream]  # the SDK sees no error at all
    async with httpx.AsyncClient(base_url=emulator.url, headers=AUTH) as plain:
        raw = (await plain.post("/v1/chat/completions", json={**CHAT, "stream": True})).text

    assert 1 < len(chunks) < 40
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks)
    assert (
        raw.startswith("data: {") and "[DONE]" not in raw and '"finish_reason": "stop"' not in raw
    )


async def test_truncate_only_touches_streams(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_truncate=1.0)

    response = await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert response.choices[0].finish_reason == "stop"
    assert await outcomes(emulator) == {"ok": 1}


async def test_invalid_json_spoils_only_json_mode_content(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_invalid_json=1.0)

    spoiled = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, response_format={"type": "json_object"}
    )
    plain = await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert spoiled.choices[0].finish_reason == "stop"
    with pytest.raises(json.JSONDecodeError):
        json.loads(spoiled.choices[0].message.content or "")
    assert plain.choices[0].message.content
    assert await outcomes(emulator) == {"invalid_json": 1, "ok": 1}
    assert spoiled.usage is not None and plain.usage is not None
    reported = spoiled.usage.total_tokens + plain.usage.total_tokens
    assert (await emulator.stats())["totals"]["tokens"] == reported


async def test_a_seed_makes_the_faults_reproducible(emulator: RunningEmulator) -> None:
    await emulator.configure(seed=7, rate_500=0.5)

    async def statuses() -> list[int]:
        async with httpx.AsyncClient(base_url=emulator.url, headers=AUTH) as plain:
            return [
                (await plain.post("/v1/embeddings", json={"model": "e", "input": "x"})).status_code
                for _ in range(16)
            ]

    first = await statuses()
    await emulator.reset()  # restarts the fault sequence from the seed
    second = await statuses()

    assert first == second and set(first) == {200, 500}


async def test_fault_kinds_restricts_where_faults_apply(
    client: openai.AsyncOpenAI, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_500=1.0, fault_kinds=["pinecone", "rerank"])

    response = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    async with httpx.AsyncClient(base_url=emulator.url, headers={"Api-Key": "k"}) as plain:
        stats_status = (await plain.post("/describe_index_stats", json={})).status_code

    assert response.choices[0].finish_reason == "stop"
    assert stats_status == 500


async def test_a_missing_key_is_a_401_in_each_providers_shape(emulator: RunningEmulator) -> None:
    async with httpx.AsyncClient(base_url=emulator.url) as plain:
        openai_401 = await plain.post("/v1/chat/completions", json=CHAT)
        groq_401 = await plain.post("/openai/v1/chat/completions", json=CHAT)
        cohere_401 = await plain.post("/v2/rerank", json={})
        pinecone_401 = await plain.post("/query", json={})

    assert {r.status_code for r in (openai_401, groq_401, cohere_401, pinecone_401)} == {401}
    assert openai_401.json()["error"]["code"] == "invalid_api_key"
    assert groq_401.json()["error"]["type"] == "invalid_request_error"
    assert set(cohere_401.json()) == {"id", "message"}
    assert pinecone_401.json()["code"] == 16
    assert (await emulator.stats())["totals"]["requests"] == 0
