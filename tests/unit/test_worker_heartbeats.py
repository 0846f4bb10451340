"""Worker heartbeats (`shared/streamed_jobs/workers.py`) on fakeredis: the sorted-set logic needs
no server, so it runs with the unit tests (`make unit`). Real Redis covers it end to end in
tests/e2e/test_worker_recovery.py."""

from collections.abc import AsyncIterator

import pytest
from fakeredis import FakeAsyncRedis

from shared.jobs import now_ms
from shared.streamed_jobs.workers import (
    FORGET_AFTER_MS,
    WORKERS_KEY,
    announce_providers,
    announced_providers,
    beat,
    leave,
    live_workers,
)

pytestmark = pytest.mark.unit

HOUR_MS = 3_600_000


@pytest.fixture
async def redis() -> AsyncIterator[FakeAsyncRedis]:
    client = FakeAsyncRedis(decode_responses=True)
    yield client
    await client.aclose()


async def beat_now(redis: FakeAsyncRedis, worker_id: str) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        beat(pipe, worker_id)
        await pipe.execute()


async def test_a_worker_that_beat_is_live_until_it_leaves(redis: FakeAsyncRedis) -> None:
    await beat_now(redis, "worker-a")
    await beat_now(redis, "worker-b")
    assert await live_workers(redis, fresh_within_seconds=60) == 2
    await leave(redis, "worker-a")
    assert await live_workers(redis, fresh_within_seconds=60) == 1


async def test_a_stale_heartbeat_is_not_counted(redis: FakeAsyncRedis) -> None:
    await redis.zadd(WORKERS_KEY, {"silent": now_ms() - 120_000})
    await beat_now(redis, "beating")
    assert await live_workers(redis, fresh_within_seconds=60) == 1
    assert await live_workers(redis, fresh_within_seconds=3600) == 2


async def test_a_beat_forgets_heartbeats_older_than_the_limit(redis: FakeAsyncRedis) -> None:
    await redis.zadd(WORKERS_KEY, {"gone": now_ms() - FORGET_AFTER_MS - HOUR_MS})
    await beat_now(redis, "beating")
    assert await redis.zrange(WORKERS_KEY, 0, -1) == ["beating"]


async def test_the_last_announcement_of_providers_wins(redis: FakeAsyncRedis) -> None:
    assert await announced_providers(redis) == {}
    await announce_providers(redis, {"llm": "groq", "embeddings": "local"})
    await announce_providers(redis, {"llm": "openai", "embeddings": "local"})
    assert await announced_providers(redis) == {"llm": "openai", "embeddings": "local"}
