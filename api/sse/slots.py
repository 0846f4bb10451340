"""The event streams a session has open, counted in Redis across every API process.

Each open stream holds a slot: a member of the session's sorted set, scored by when its lease
ends. A process renews the leases of its own open streams every third of the lease, so the
slots of a process that died (or of a stream whose response never started) lapse on their own
within a lease, and are pruned by the next acquisition. One script prunes, counts and takes a
slot atomically, so two processes cannot both take the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis

from api.errors import TooManyStreams
from api.sse.hub import REDIS_ERRORS

log = logging.getLogger(__name__)

KEY_PREFIX = "izana:sse:streams:"
LEASE_SECONDS = 60

# KEYS: the session's slots. ARGV: the member, the limit, the lease in ms. 1 if taken, else 0.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: slot sets; ARGV: the lease in ms, then one member per key. Renews slots still held.
_RENEW = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_ms, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return 0
"""


def slots_key(session_id: str) -> str:
    return f"{KEY_PREFIX}{session_id}"


@dataclass(frozen=True)
class Slot:
    session_id: str
    member: str


class StreamSlots:
    def __init__(self, redis: Redis, limit: int, lease_seconds: float = LEASE_SECONDS) -> None:
        self._redis = redis
        self._limit = limit
        self._lease_ms = int(lease_seconds * 1000)
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._held: set[Slot] = set()
        self._releases: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever(), name="sse-stream-slots")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*self._releases, return_exceptions=True)

    async def acquire(self, session_id: str) -> Slot:
        """A slot for one more stream of the session; 429 when it has `limit` open."""
        slot = Slot(session_id, secrets.token_hex(8))
        keys = [slots_key(session_id)]
        if not await self._acquire(keys=keys, args=[slot.member, self._limit, self._lease_ms]):
            raise TooManyStreams(self._limit)
        return slot

    def hold(self, slot: Slot) -> None:
        """The stream has started: renew its lease until it is released."""
        self._held.add(slot)

    def release(self, slot: Slot) -> None:
        """Free the slot; in a task of its own, since the stream's task is being cancelled."""
        self._held.discard(slot)
        task = asyncio.create_task(self._free(slot))
        self._releases.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task[None]) -> None:
        self._releases.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning(
                "stream slot not freed; it lapses with its lease", exc_info=task.exception()
            )

    async def _free(self, slot: Slot) -> None:
        await self._redis.zrem(slots_key(slot.session_id), slot.member)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            held = list(self._held)
            if not held:
                continue
            try:
                await self._renew(
                    keys=[slots_key(slot.session_id) for slot in held],
                    args=[self._lease_ms, *(slot.member for slot in held)],
                )
            except REDIS_ERRORS:
                log.warning("stream slots not renewed; retrying")

    async def holding(self, slot: Slot, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """`stream`, holding `slot` from its first byte until it ends or the client leaves."""
        self.hold(slot)
        try:
            async for chunk in stream:
                yield chunk
        finally:
            self.release(slot)
