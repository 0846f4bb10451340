"""A circuit breaker per provider model, shared by every worker through Redis.

It opens for `open_seconds` when, within the last `window_seconds`, at least `min_failures`
calls failed and they were at least `failure_ratio` of all calls: a degraded provider whose
calls mostly succeed on retry keeps serving, a dead one is skipped (the chain falls back).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from shared.resilience.errors import ModelRef

# KEYS: outcome counts (hash "second:f" / "second:s"), open flag. ARGV: outcome ("f" or "s"),
# window s, min failures, ratio, open ms. Returns 1 when this call opened the breaker.
_RECORD = """
local t = redis.call('TIME')
local second = tonumber(t[1])
local window = tonumber(ARGV[2])
redis.call('HINCRBY', KEYS[1], second .. ':' .. ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], window + 5)
if ARGV[1] ~= 'f' or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local failures, total = 0, 0
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local at, outcome = string.match(flat[i], '(%d+):(%a)')
  if tonumber(at) <= second - window then
    redis.call('HDEL', KEYS[1], flat[i])
  else
    local n = tonumber(flat[i + 1])
    total = total + n
    if outcome == 'f' then failures = failures + n end
  end
end
if failures >= tonumber(ARGV[3]) and failures >= tonumber(ARGV[4]) * total then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class BreakerPolicy:
    min_failures: int
    failure_ratio: float
    window_seconds: int
    open_seconds: float


class CircuitBreaker:
    def __init__(self, redis: Redis, policy: BreakerPolicy) -> None:
        self._redis = redis
        self._policy = policy
        self._record = redis.register_script(_RECORD)

    @staticmethod
    def _keys(target: ModelRef) -> list[str]:
        base = f"izana:breaker:{target.key}"
        return [f"{base}:outcomes", f"{base}:open"]

    async def is_open(self, target: ModelRef) -> bool:
        return bool(await self._redis.exists(self._keys(target)[1]))

    async def _outcome(self, target: ModelRef, outcome: str) -> bool:
        policy = self._policy
        args: list[str | int | float] = [
            outcome,
            policy.window_seconds,
            policy.min_failures,
            policy.failure_ratio,
            int(policy.open_seconds * 1000),
        ]
        return bool(await self._record(keys=self._keys(target), args=args))

    async def record_failure(self, target: ModelRef) -> bool:
        """Count a failed call; True when it opened the breaker."""
        return await self._outcome(target, "f")

    async def record_success(self, target: ModelRef) -> None:
        await self._outcome(target, "s")
