"""The emulator speaks Cohere's v2 rerank to `cohere.AsyncClientV2`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import cohere
import httpx
import pytest
from cohere.errors import TooManyRequestsError

from emulator import RunningEmulator

pytestmark = pytest.mark.contract

DOCUMENTS = [
    "Weather in spring.",
    "IVF success rates fall with age.",
    "Success rates of IVF.",
    "Egg freezing.",
]


@pytest.fixture
async def client(emulator: RunningEmulator) -> AsyncIterator[cohere.AsyncClientV2]:
    """The SDK has no close(); it gets an httpx client that the test closes."""
    async with httpx.AsyncClient() as http:
        yield cohere.AsyncClientV2(
            api_key="test-key", base_url=emulator.url, max_retries=0, httpx_client=http
        )


async def test_rerank_scores_word_overlap_sorted_and_cut_to_top_n(
    client: cohere.AsyncClientV2,
) -> None:
    response = await client.rerank(
        model="rerank-v3.5", query="IVF success rates by age", documents=DOCUMENTS, top_n=3
    )

    assert [result.index for result in response.results] == [1, 2, 0]
    scores = [result.relevance_score for result in response.results]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(4 / 5)  # ivf, success, rates, age; not "by"
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert response.meta is not None and response.meta.billed_units is not None
    assert response.meta.billed_units.search_units == 1


async def test_rerank_without_top_n_returns_every_document(client: cohere.AsyncClientV2) -> None:
    response = await client.rerank(model="rerank-v3.5", query="egg", documents=DOCUMENTS)

    assert len(response.results) == len(DOCUMENTS)
    assert response.results[0].index == 3


async def test_a_429_reaches_cohere_with_retry_after(
    client: cohere.AsyncClientV2, emulator: RunningEmulator
) -> None:
    await emulator.configure(rate_429=1.0, retry_after_seconds=2)

    with pytest.raises(TooManyRequestsError) as raised:
        await client.rerank(model="rerank-v3.5", query="egg", documents=DOCUMENTS)

    assert raised.value.status_code == 429
    assert raised.value.headers is not None and raised.value.headers["retry-after"] == "2"
    assert isinstance(raised.value.body, dict) and "message" in raised.value.body
