"""Exact sliding-window-log rate limits shared by every API replica through Redis.

Each limited identity has one sorted set of the requests it was allowed, scored by Redis server
time in microseconds, so every replica counts against the same clock. One Lua script prunes,
counts and admits atomically, for every limit a request counts against at once. Refused
requests are not logged, so a client that keeps retrying gets in again as soon as enough of its
admitted requests have left the window.
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

# KEYS: the logs of every limit the request counts against. ARGV: a unique member for this
# request, then each limit's limit and window ms. The request is logged in every window or, when
# any limit is full, in none. Returns per limit {allowed 0/1 by that limit, entries in its
# window, microseconds until a slot frees}.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local counts, all_allowed = {}, true
for i, key in ipairs(KEYS) do
  local limit, window_ms = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms * 1000)
  counts[i] = redis.call('ZCARD', key)
  all_allowed = all_allowed and counts[i] < limit
end
local replies = {}
for i, key in ipairs(KEYS) do
  local limit, window_ms = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local allowed, count = counts[i] < limit, counts[i]
  if all_allowed then
    redis.call('ZADD', key, now, ARGV[1])
    redis.call('PEXPIRE', key, window_ms)
    count = count + 1
  end
  -- A slot frees when the oldest entry leaves; over a lowered limit, when enough of them have.
  local index = allowed and 0 or count - limit
  local entry = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
  local frees = entry[2] and tonumber(entry[2]) + window_ms * 1000 - now or 0
  replies[i] = {allowed and 1 or 0, count, frees}
end
return replies
"""

# KEYS: one log. ARGV: its limit and window ms. The same reply as _HIT's, logging nothing.
_PEEK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window_ms * 1000)
local count = redis.call('ZCARD', KEYS[1])
local allowed = count < limit
local index = allowed and 0 or count - limit
local entry = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
local frees = entry[2] and tonumber(entry[2]) + window_ms * 1000 - now or 0
return {allowed and 1 or 0, count, frees}
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
        self._peek = redis.register_script(_PEEK)

    async def hit(self, key: str, rate: Rate) -> RateDecision:
        """Count one request against `key` if `rate` still has room."""
        return (await self.hit_all([(key, rate)]))[0]

    async def peek(self, key: str, rate: Rate) -> RateDecision:
        """Whether `key` has room under `rate`, without counting anything."""
        reply = await self._peek(keys=[key], args=[rate.limit, rate.window_seconds * 1000])
        return decision_from_reply(rate, reply)

    async def hit_all(self, limits: Sequence[tuple[str, Rate]]) -> list[RateDecision]:
        """Count one request against every (key, rate) if each still has room, in one round
        trip; when any is full, against none. Each limit's decision, in order."""
        args: list[str | int] = [secrets.token_hex(16)]
        for _, rate in limits:
            args += [rate.limit, rate.window_seconds * 1000]
        replies = await self._hit(keys=[key for key, _ in limits], args=args)
        return [
            decision_from_reply(rate, reply)
            for (_, rate), reply in zip(limits, replies, strict=True)
        ]
