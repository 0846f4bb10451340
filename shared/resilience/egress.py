"""Egress budgets shared by every worker: requests and tokens per minute per provider model.

A call reserves its estimated tokens before it is sent (so replicas never overshoot together)
and is reconciled with the usage the provider reports. A provider 429 sets a cooldown that
every worker obeys. Counts live in per-second buckets in Redis, updated by one Lua script,
which also checks the model's circuit breaker and counts the call for it: a call costs one
round trip before it is sent.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.config import EgressLimit
from shared.resilience.breaker import BREAKER_LUA, CircuitBreaker
from shared.resilience.deadline import seconds_left
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure

# Counted over one extra second: a request reserved at the end of one second may reach the
# provider in the next, and the provider's minute must still hold it.
WINDOW_SECONDS = 61
# Pacing: any PACING_SECONDS may hold only their share of the minute's budget, so a backlog is
# sent evenly through the minute rather than as one burst replayed every minute (providers may
# enforce their minute over shorter intervals).
PACING_SECONDS = 15
# A caller waiting for budget looks again at least this often.
BUDGET_RECHECK_SECONDS = 1.0

# KEYS: requests hash, tokens hash, cooldown key, then the breaker's keys. ARGV: window, pacing
# window, rpm (0 = none), tpm (0 = none), tokens, breaker window. Returns {1, second} when
# reserved, {0, wait_ms, 1 if cooling down} when the call must wait, {-1} when the breaker is
# open. Only a reserved call counts for the breaker; a budget without a limit is not counted.
_RESERVE = (
    BREAKER_LUA
    + """
if breaker_open(KEYS[5]) then return {-1} end
local cooldown = redis.call('PTTL', KEYS[3])
if cooldown > 0 then return {0, cooldown, 1} end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local second = tonumber(t[1])
local window, pacing = tonumber(ARGV[1]), tonumber(ARGV[2])
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

-- The buckets of the last `window` seconds, oldest first, and their total (older ones go).
local function live(key)
  local buckets, total = {}, 0
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do
    local s, n = tonumber(flat[i]), tonumber(flat[i + 1])
    if s <= second - window then
      redis.call('HDEL', key, flat[i])
    else
      total = total + n
      table.insert(buckets, {s, n})
    end
  end
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  return buckets, total
end

-- Milliseconds until `needed` more fits under `limit` in the last `span` seconds.
local function wait_within(buckets, span, limit, needed)
  local recent, used = {}, 0
  for _, bucket in ipairs(buckets) do
    if bucket[1] > second - span then
      table.insert(recent, bucket)
      used = used + bucket[2]
    end
  end
  local excess = used + needed - limit
  if excess <= 0 then return 0 end
  local freed = 0
  for _, bucket in ipairs(recent) do
    freed = freed + bucket[2]
    if freed >= excess then return (bucket[1] + span) * 1000 - now_ms end
  end
  return span * 1000
end

local function wait_for(key, limit, needed)
  if limit <= 0 then return 0 end
  local buckets = live(key)
  local share = math.max(limit * pacing / 60, needed)
  return math.max(wait_within(buckets, window, limit, needed),
                  wait_within(buckets, pacing, share, needed))
end

local wait = math.max(wait_for(KEYS[1], rpm, 1), wait_for(KEYS[2], tpm, tokens))
if wait > 0 then return {0, wait, 0} end
local function take(key, limit, needed)
  if limit > 0 then
    redis.call('HINCRBY', key, second, needed)
    redis.call('EXPIRE', key, window + 5)
  end
end

take(KEYS[1], rpm, 1)
take(KEYS[2], tpm, tokens)
breaker_count_call(KEYS[4], second, tonumber(ARGV[6]))
return {1, second}
"""
)

# KEYS: cooldown key. ARGV: milliseconds. Only ever lengthens a running cooldown.
_COOL_DOWN = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
"""

_BREAKER_OPEN = -1  # the reservation script's reply


@dataclass(frozen=True)
class Reservation:
    target: ModelRef
    second: int
    tokens: int


class EgressLimiter:
    def __init__(
        self,
        redis: Redis,
        limits: dict[str, EgressLimit],
        pacing_seconds: int = PACING_SECONDS,
    ) -> None:
        self._redis = redis
        self._limits = limits
        self._pacing_seconds = pacing_seconds
        self._reserve = redis.register_script(_RESERVE)
        self._cool_down = redis.register_script(_COOL_DOWN)

    @staticmethod
    def _keys(target: ModelRef) -> list[str]:
        base = f"izana:egress:{target.key}"
        return [f"{base}:requests", f"{base}:tokens", f"{base}:cooldown"]

    def _limit(self, target: ModelRef) -> EgressLimit:
        return self._limits.get(target.key, EgressLimit())

    async def acquire(
        self, target: ModelRef, estimated_tokens: int, breaker: CircuitBreaker
    ) -> Reservation:
        """Wait for room in the model's budget (never past the job's deadline) and take it,
        unless `breaker` is open for the model; the call then counts for the breaker."""
        limit = self._limit(target)
        tokens = estimated_tokens
        if limit.tokens_per_minute is not None:
            tokens = min(tokens, limit.tokens_per_minute)  # a larger call could never start
        keys = [*self._keys(target), *breaker.keys(target)]
        args = [
            WINDOW_SECONDS,
            self._pacing_seconds,
            limit.requests_per_minute or 0,
            limit.tokens_per_minute or 0,
            tokens,
            breaker.policy.window_seconds,
        ]
        while True:
            reply = await self._reserve(keys=keys, args=args)
            if reply[0] == _BREAKER_OPEN:
                raise ProviderFailure(target, FailureKind.UNAVAILABLE, "circuit breaker open")
            if reply[0]:
                return Reservation(target, int(reply[1]), tokens)
            wait, cooling_down = int(reply[1]) / 1000, bool(reply[2])
            if not cooling_down:
                # Settled calls give back what they reserved but did not use: look again soon.
                wait = min(wait, BUDGET_RECHECK_SECONDS)
            if wait >= seconds_left():
                raise ProviderFailure(
                    target, FailureKind.UNAVAILABLE, "no egress budget before the deadline"
                )
            await asyncio.sleep(wait + random.uniform(0, 0.05))  # spread the waiting workers

    async def settle(self, reservation: Reservation, actual_tokens: int | None) -> None:
        """Replace the estimate with the tokens the provider says it used (counted only under
        a token limit)."""
        if (
            actual_tokens is None
            or actual_tokens == reservation.tokens
            or self._limit(reservation.target).tokens_per_minute is None
        ):
            return
        tokens_key = self._keys(reservation.target)[1]
        await self._redis.hincrby(  # type: ignore[misc]
            tokens_key, str(reservation.second), actual_tokens - reservation.tokens
        )

    async def cool_down(self, target: ModelRef, seconds: float) -> bool:
        """Hold every worker's calls to `target` for `seconds`; True when this lengthened it."""
        keys = [self._keys(target)[2]]
        return bool(await self._cool_down(keys=keys, args=[max(1, int(seconds * 1000))]))
