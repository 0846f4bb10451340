"""Single flight: identical concurrent questions share one upstream call.

The first job to `claim` a question's key leads: it answers on its own event stream while
`leading` keeps its lease alive. Every other job `follow`s the leader's stream and relays it;
when the leader dies (its lease lapses with nothing published), `follow` raises `LeaderLost`
and the follower claims again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.events import StreamEvent, parse_entry, stream_key

log = logging.getLogger(__name__)

FLIGHT_KEY_PREFIX = "izana:flight:"
FOLLOW_BATCH = 500

# Returns the cached answer if there is one; else becomes the leader unless another job holds
# the lease (a job that already holds it, a retried attempt, takes it again). KEYS: lease,
# cached answer. ARGV: job id, lease ms. Returns {'cached', answer}, {'leader', the other
# leader's id}, or false when this job now leads.
_CLAIM = """
local cached = redis.call('GET', KEYS[2])
if cached then return {'cached', cached} end
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return {'leader', current} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: lease, cached answer. ARGV: job id[, the answer to cache, its TTL seconds]. The answer
# is stored before the lease goes, so a job claiming next finds it.
_RELEASE = """
if ARGV[2] then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class Landing:
    """What a leader leaves in the response cache as it lets go of the lease, in the same round
    trip: its answer's cache entry (JSON) and for how long; nothing while `entry` is None."""

    entry: str | None = None
    ttl_seconds: int = 0

    def arguments(self) -> list[str | int]:
        return [] if self.entry is None else [self.entry, self.ttl_seconds]


@dataclass(frozen=True)
class Claim:
    """What a claim found: the answer already cached (its JSON), or the job that leads, or
    neither (the claiming job now leads)."""

    cached: str | None = None
    leader: str | None = None


class LeaderLost(Exception):
    """The leader stopped publishing and its lease is gone: claim the flight again."""

    def __init__(self, leader_job_id: str) -> None:
        super().__init__(f"single-flight leader {leader_job_id} is gone")
        self.leader_job_id = leader_job_id


def flight_key(cache_key: str) -> str:
    """The lease key of a response-cache key (its hash part under the flight prefix)."""
    return FLIGHT_KEY_PREFIX + cache_key.rsplit(":", 1)[-1]


class SingleFlight:
    """Leases on questions in Redis; `key` is always the response-cache key."""

    def __init__(self, redis: Redis, lease_seconds: float) -> None:
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._renew_every = lease_seconds / 3
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def claim(self, key: str, job_id: str) -> Claim:
        """The cached answer if there is one; else the lease, or who holds it."""
        reply = await self._claim(keys=[flight_key(key), key], args=[job_id, self._lease_ms])
        if not reply:
            return Claim()
        kind, value = reply
        return Claim(cached=value) if kind == "cached" else Claim(leader=str(value))

    async def renew(self, key: str, job_id: str) -> bool:
        """Extend the lease by its full length; False unless `job_id` holds it."""
        return bool(await self._renew(keys=[flight_key(key)], args=[job_id, self._lease_ms]))

    async def release(self, key: str, job_id: str, landing: Landing | None = None) -> None:
        """End the lease if `job_id` holds it, first caching the `landing`'s answer."""
        args = [job_id, *(landing.arguments() if landing else ())]
        await self._release(keys=[flight_key(key), key], args=args)

    @asynccontextmanager
    async def leading(self, key: str, job_id: str) -> AsyncIterator[Landing]:
        """Hold a claimed lease while the body runs, and release it however the body ends,
        caching what the body put in the `Landing` it was given."""
        keeper = asyncio.create_task(self._keep_alive(key, job_id))
        landing = Landing()
        try:
            yield landing
        finally:
            keeper.cancel()
            await asyncio.wait({keeper})
            await self._release_quietly(key, job_id, landing)

    async def _keep_alive(self, key: str, job_id: str) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                if not await self.renew(key, job_id):
                    log.warning("single-flight lease lost", extra={"job_id": job_id})
                    return
            except RedisError:
                log.warning("single-flight lease renewal failed", extra={"job_id": job_id})

    async def _release_quietly(self, key: str, job_id: str, landing: Landing) -> None:
        # A lease that cannot be released lapses by itself, and an answer not cached is made
        # again: the body's outcome matters more.
        try:
            await self.release(key, job_id, landing)
        except RedisError:
            log.warning("single-flight lease release failed", extra={"job_id": job_id})


async def follow(
    redis: Redis, key: str, leader_job_id: str, idle_timeout_seconds: float
) -> AsyncIterator[StreamEvent]:
    """The leader's events from its first one, live, through the terminal event.

    Each read blocks (XREAD BLOCK) for up to `idle_timeout_seconds`; after a silent read the
    leader is given up, with `LeaderLost`, only if it no longer holds the lease on `key`.
    """
    stream = stream_key(leader_job_id)
    block_ms = max(1, round(idle_timeout_seconds * 1000))
    last_id = "0-0"
    while True:
        entries = await _read(redis, stream, last_id, block_ms)
        if not entries:
            if await redis.get(flight_key(key)) == leader_job_id:
                continue
            # A leader publishes before it lets go, so one more read sees all it ever will.
            entries = await _read(redis, stream, last_id, block_ms=None)
            if not entries:
                raise LeaderLost(leader_job_id)
        for entry_id, fields in entries:
            event = parse_entry(entry_id, fields)
            last_id = entry_id
            yield event
            if event.is_terminal:
                return


async def _read(
    redis: Redis, stream: str, after_id: str, block_ms: int | None
) -> list[tuple[str, dict[str, str]]]:
    reply = await redis.xread({stream: after_id}, count=FOLLOW_BATCH, block=block_ms)
    return list(reply[0][1]) if reply else []
