"""The response cache and the knowledge-base version on real Redis (and the indexed passages)."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from shared.cache.response_cache import CachedAnswer, ResponseCache, cache_key
from shared.cache.single_flight import Claim, SingleFlight
from shared.jobs import new_job_id
from shared.knowledge.version import (
    KB_VERSION_KEY,
    documents_version,
    kb_version,
    pinned_kb_version,
    record_kb_version,
    set_kb_version,
    version_key,
)
from shared.resources import Resources

pytestmark = pytest.mark.integration


def unique_key() -> str:
    return cache_key(f"What is IVF? {uuid.uuid4()}", "en", "kb-test", "test-model")


def answer() -> CachedAnswer:
    return CachedAnswer(
        answer="In vitro fertilisation joins egg and sperm outside the body.",
        language="en",
        mode="generated",
        citations=[{"title": "IVF", "source": "MedlinePlus", "url": "https://x.org", "score": 0.9}],
        suggestions=["How long does IVF take?"],
        model="groq:llama-3.3-70b-versatile",
        created_at_ms=1_700_000_000_000,
    )


async def landed(resources: Resources, cache: ResponseCache, key: str) -> None:
    """A leader answers `key`'s question and lands its answer through the cache."""
    flight, job_id = SingleFlight(resources.redis, lease_seconds=5), new_job_id()
    assert await flight.claim(key, job_id) == Claim()
    async with flight.leading(key, job_id) as landing:
        cache.land(landing, answer())


async def test_an_answer_round_trips_with_its_ttl(resources: Resources) -> None:
    cache, key = ResponseCache(resources.redis, ttl_seconds=60), unique_key()
    await landed(resources, cache, key)
    assert await cache.read(key, await resources.redis.get(key)) == answer()
    assert 0 < await resources.redis.ttl(key) <= 60


@pytest.mark.parametrize("stored", ["not json", '{"answer": "no other fields"}'])
async def test_a_corrupt_entry_is_a_miss_and_is_deleted(resources: Resources, stored: str) -> None:
    cache, key = ResponseCache(resources.redis, ttl_seconds=60), unique_key()
    await resources.redis.set(key, stored, ex=60)
    assert await cache.read(key, stored) is None
    assert await resources.redis.exists(key) == 0


async def test_ttl_zero_turns_the_cache_off(resources: Resources) -> None:
    key = unique_key()
    off = ResponseCache(resources.redis, ttl_seconds=0)
    assert not off.enabled
    await landed(resources, off, key)
    assert await resources.redis.exists(key) == 0


@pytest.fixture
async def kb_version_restored(resources: Resources) -> AsyncIterator[None]:
    """Puts back the shared Redis's knowledge-base version after the test changes it."""
    previous = await resources.redis.get(KB_VERSION_KEY)
    yield
    if previous is None:
        await resources.redis.delete(KB_VERSION_KEY)
    else:
        await resources.redis.set(KB_VERSION_KEY, previous)


@pytest.mark.usefixtures("kb_version_restored")
async def test_kb_version_defaults_to_zero_and_can_be_set(resources: Resources) -> None:
    await resources.redis.delete(KB_VERSION_KEY)
    assert await kb_version(resources.redis) == "0"
    await set_kb_version(resources.redis, "abc123")
    assert await kb_version(resources.redis) == "abc123"


@pytest.mark.usefixtures("kb_version_restored")
async def test_a_pinned_version_is_read_without_redis_until_the_block_ends(
    resources: Resources,
) -> None:
    await set_kb_version(resources.redis, "before")
    with pinned_kb_version("before"):
        await set_kb_version(resources.redis, "after")  # an ingestion while an answer runs
        assert await kb_version(resources.redis) == "before"
        assert await asyncio.create_task(kb_version(resources.redis)) == "before"
        other = f"pinned-test-{uuid.uuid4().hex}"
        await set_kb_version(resources.redis, "other's", collection=other)
        assert await kb_version(resources.redis, other) == "other's"  # only the default is pinned
        await resources.redis.delete(version_key(other))
    assert await kb_version(resources.redis) == "after"


@pytest.mark.usefixtures("kb_version_restored")
async def test_the_recorded_version_is_that_of_the_ingested_documents(
    resources: Resources, knowledge_base: int
) -> None:
    stored = await documents_version(resources.sessionmaker)
    assert stored != "0" and len(stored) == 16
    await resources.redis.delete(KB_VERSION_KEY)
    assert await record_kb_version(resources.sessionmaker, resources.redis) == stored
    assert await kb_version(resources.redis) == stored
