"""Which workers are alive and ready: each one's heartbeat in a sorted set, scored by time.

A worker joins after its startup (models loaded, indexes warm), beats with its lease renewals
(`worker/runner.py`) and leaves on shutdown; the API's `/readyz` counts fresh heartbeats.
At startup a worker also announces which provider serves each role, which `/readyz` shows: the
API itself never builds providers.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared.jobs import now_ms

WORKERS_KEY = "izana:workers"
PROVIDERS_KEY = "izana:workers:providers"
# Heartbeats older than this are dropped from the set.
FORGET_AFTER_MS = 3_600_000


def beat(pipe: Pipeline, worker_id: str) -> None:
    """Queue this worker's heartbeat on `pipe`."""
    now = now_ms()
    pipe.zadd(WORKERS_KEY, {worker_id: now})
    pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - FORGET_AFTER_MS)


async def leave(redis: Redis, worker_id: str) -> None:
    await redis.zrem(WORKERS_KEY, worker_id)


async def live_workers(redis: Redis, fresh_within_seconds: float) -> int:
    """Workers whose last heartbeat is at most `fresh_within_seconds` old."""
    since = now_ms() - int(fresh_within_seconds * 1000)
    return int(await redis.zcount(WORKERS_KEY, since, "+inf"))


async def announce_providers(redis: Redis, roles: dict[str, str]) -> None:
    """Record the provider behind each role (the last worker to start wins: all share settings)."""
    await redis.set(PROVIDERS_KEY, json.dumps(roles))


async def announced_providers(redis: Redis) -> dict[str, str]:
    roles: str | None = await redis.get(PROVIDERS_KEY)
    return json.loads(roles) if roles else {}
