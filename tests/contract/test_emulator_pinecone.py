"""The emulator speaks Pinecone's REST data plane to the async index of `pinecone` 10."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pinecone
import pytest
from pinecone.errors.exceptions import ApiError, RateLimitError

from emulator import RunningEmulator

pytestmark = pytest.mark.contract

DIMENSIONS = 4


def unit(*values: float) -> list[float]:
    return [*values, *([0.0] * (DIMENSIONS - len(values)))]


@pytest.fixture
async def index(emulator: RunningEmulator) -> AsyncIterator[pinecone.AsyncIndex]:
    await emulator.configure(embedding_dimensions=DIMENSIONS)
    async with pinecone.AsyncPinecone(api_key="test-key") as client:
        opened = await client.index(host=emulator.url)
        async with opened:
            yield opened


async def test_upsert_then_query_by_vector_with_metadata_and_values(
    index: pinecone.AsyncIndex,
) -> None:
    upserted = await index.upsert(
        vectors=[
            ("a", unit(1.0), {"title": "A"}),
            ("b", unit(0.0, 1.0), {"title": "B"}),
            {"id": "c", "values": unit(1.0, 1.0)},
        ],
        namespace="treatment",
    )
    found = await index.query(
        vector=unit(1.0, 0.1),
        top_k=2,
        namespace="treatment",
        include_metadata=True,
        include_values=True,
    )

    assert upserted.upserted_count == 3
    assert [match.id for match in found.matches] == ["a", "c"]
    assert found.matches[0].score == pytest.approx(1 / (1.01**0.5))
    assert found.matches[0].metadata == {"title": "A"} and found.matches[0].values == unit(1.0)
    assert found.matches[1].metadata is None
    assert found.namespace == "treatment"


async def test_query_by_id_and_namespaces_are_separate(index: pinecone.AsyncIndex) -> None:
    await index.upsert(vectors=[("a", unit(1.0)), ("b", unit(0.9, 0.1))], namespace="one")
    await index.upsert(vectors=[("z", unit(1.0))], namespace="two")

    by_id = await index.query(id="a", top_k=5, namespace="one")
    missing = await index.query(id="a", top_k=5, namespace="two")

    assert [match.id for match in by_id.matches] == ["a", "b"]
    assert by_id.matches[0].values == [] and by_id.matches[0].metadata is None
    assert missing.matches == []


async def test_delete_by_ids_and_delete_all_show_in_stats(index: pinecone.AsyncIndex) -> None:
    await index.upsert(vectors=[("a", unit(1.0)), ("b", unit(0.0, 1.0))], namespace="one")
    await index.upsert(vectors=[("c", unit(1.0))])
    await index.upsert(vectors=[("d", unit(1.0))], namespace="two")

    before = await index.describe_index_stats()
    await index.delete(ids=["a"], namespace="one")
    await index.delete(delete_all=True, namespace="two")
    after = await index.describe_index_stats()

    assert before.dimension == DIMENSIONS and before.total_vector_count == 4
    counts = {name: summary.vector_count for name, summary in before.namespaces.items()}
    assert counts == {"one": 2, "__default__": 1, "two": 1}
    assert after.total_vector_count == 2
    assert {name: s.vector_count for name, s in after.namespaces.items()} == {
        "one": 1,
        "__default__": 1,
    }


async def test_a_vector_of_the_wrong_dimension_is_a_400(index: pinecone.AsyncIndex) -> None:
    with pytest.raises(ApiError) as raised:
        await index.upsert(vectors=[("a", [1.0, 0.0])])

    assert raised.value.status_code == 400
    assert "dimension" in str(raised.value)


async def test_the_sdk_retries_data_plane_429s_even_with_retry_config_zero(
    emulator: RunningEmulator,
) -> None:
    """`retry_config` reaches only the control plane: `IndexAsyncio` keeps 3 SDK retries."""
    await emulator.configure(rate_429=1.0, retry_after_seconds=0)
    client = pinecone.AsyncPinecone(
        api_key="test-key", retry_config=pinecone.RetryConfig(max_retries=0)
    )
    index = client.IndexAsyncio(host=emulator.url)

    with pytest.raises(RateLimitError):
        await index.describe_index_stats()
    await index.close()
    await client.close()

    stats = await emulator.stats()
    # 4 attempts, unless the SDK's process-wide retry budget for the host is spent
    assert 1 < stats["totals"]["requests"] <= 4
    assert stats["totals"]["outcomes"]["429"] == stats["totals"]["requests"]
