"""Exact sliding-window-log rate limits shared by every API replica through Redis.

Each limited identity has one sorted set of the requests it was allowed, scored by Redis server
time in microseconds, so every replica counts against the same clock. One Lua script prunes,
counts and admits atomically. Refused requests are not logged, so a client that keeps retrying
gets in again as soon as enough of its admitted requests have left the window.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.config import Rate

KEY_PREFIX = "izana:ratelimit:"

# KEYS: the log. ARGV: limit, window ms, a unique member for this request.
# Returns {allowed 0/1, entries in the window, microseconds until a slot frees}.
_HIT = """
local limit, window_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local window = window_ms * 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = count < limit
if allowed then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window_ms)
  count = count + 1
end
-- A slot frees when the oldest entry leaves; over a lowered limit, when enough of them have.
local index = allowed and 0 or count - limit
local entry = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
return {allowed and 1 or 0, count, tonumber(entry[2]) + window - now}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the next slot frees (the oldest counted request leaves)
    retry_after_seconds: int  # 0 when allowed


def limit_key(name: str, identity: str) -> str:
    """The log's key: the limit's name and a digest of who is limited (never a raw token)."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}{name}:{digest}"


def decision_from_reply(rate: Rate, reply: Sequence[int]) -> RateDecision:
    allowed, count, slot_frees_us = (int(value) for value in reply)
    reset_seconds = max(1, math.ceil(slot_frees_us / 1_000_000))
    return RateDecision(
        allowed=bool(allowed),
        limit=rate.limit,
        remaining=max(0, rate.limit - count),
        reset_seconds=reset_seconds,
        retry_after_seconds=0 if allowed else reset_seconds,
    )


class SlidingWindowLimiter:
    def __init__(self, redis: Redis) -> None:
        self._hit = redis.register_script(_HIT)

    async def hit(self, key: str, rate: Rate) -> RateDecision:
        """Count one request against `key` if `rate` still has room."""
        member = secrets.token_hex(16)
        reply = await self._hit(keys=[key], args=[rate.limit, rate.window_seconds * 1000, member])
        return decision_from_reply(rate, reply)
