"""Provider clients hold many answers at once: the Groq and Cohere SDKs over pools of
connections spread by `shared.providers.limits`, against the emulator over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from emulator import RunningEmulator
from shared.providers.chat_models import chat_models
from shared.providers.limits import SHARD_CONNECTIONS
from shared.providers.llm.chat import ChatMessage
from shared.providers.rerank.cohere import CohereReranker, cohere_client
from shared.resources import Resources
from tests.contract.providers import KEY, emulated, guard_for
from tests.unit.passages import passage

pytestmark = pytest.mark.contract

STREAMS = 3 * SHARD_CONNECTIONS  # more than the Groq SDK's own pool of 100


async def test_many_concurrent_draft_streams_all_complete(
    emulator: RunningEmulator, resources: Resources
) -> None:
    await emulator.configure(ttft_ms=200, completion_tokens=5)
    settings = emulated(emulator, resources, provider_max_connections=STREAMS)
    model = chat_models(settings).draft[0]

    async def one(number: int) -> str:
        question = [ChatMessage("user", f"Question {number}?")]
        received: list[str] = []

        async def token(text: str) -> None:
            received.append(text)

        completion = await model.stream(question, 50, token)
        assert "".join(received) == completion.text
        return completion.text

    texts = await asyncio.gather(*(one(number) for number in range(STREAMS)))
    assert all(len(text.split()) == 5 for text in texts)
    assert (await emulator.stats())["totals"]["outcomes"]["ok"] == STREAMS


async def test_cohere_reranks_through_sharded_pools(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(emulator, resources)
    client = cohere_client(KEY, emulator.url, 2.0, max_connections=2 * SHARD_CONNECTIONS)
    reranker = CohereReranker(client, "rerank-v3.5", guard_for(settings, resources.redis))
    candidates = [
        passage("amh", title="AMH", body="Anti-Mullerian hormone (AMH) shows ovarian reserve."),
        passage("thyroid", title="Thyroid", body="The thyroid makes hormones."),
    ]
    ranked = await asyncio.gather(
        *(reranker.rerank("AMH ovarian reserve", candidates, 1) for _ in range(20))
    )
    assert all([p.id for p in result] == ["amh"] for result in ranked)
