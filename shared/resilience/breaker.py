"""A circuit breaker per provider model, shared by every worker through Redis.

It opens for `open_seconds` when, within the last `window_seconds`, at least `min_failures`
calls failed and they were at least `failure_ratio` of all calls: a degraded provider whose
calls mostly succeed on retry keeps serving, a dead one is skipped (the chain falls back).

Calls are counted when they are sent: the egress reservation (egress.py) checks the breaker
and counts the call it lets through in its own script, with `BREAKER_LUA`. Failures are
counted when they happen, and a success costs nothing. Calls still in flight count as calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from shared.resilience.errors import ModelRef

# The breaker's Lua functions, for its own script and the egress reservation's. `counts` is a
# hash of counts per second: "<second>:c" calls sent, "<second>:f" failures.
BREAKER_LUA = """
local function breaker_open(open_key)
  return redis.call('EXISTS', open_key) == 1
end

-- Calls and failures of the last `window` seconds; older counts are deleted.
local function breaker_counts(counts, second, window)
  local calls, failures = 0, 0
  local flat = redis.call('HGETALL', counts)
  for i = 1, #flat, 2 do
    local at, kind = string.match(flat[i], '(%d+):(%a)')
    local n = tonumber(flat[i + 1])
    if tonumber(at) <= second - window then
      redis.call('HDEL', counts, flat[i])
    elseif kind == 'f' then
      failures = failures + n
    else
      calls = calls + n
    end
  end
  return calls, failures
end

local function breaker_count(counts, second, kind, window)
  redis.call('HINCRBY', counts, second .. ':' .. kind, 1)
  redis.call('EXPIRE', counts, window + 5)
end

-- While no call fails nothing reads the counts, so the old ones are deleted here, once the
-- hash holds twice as many fields as the window can (two a second).
local function breaker_count_call(counts, second, window)
  breaker_count(counts, second, 'c', window)
  if redis.call('HLEN', counts) > 4 * window then breaker_counts(counts, second, window) end
end
"""

# KEYS: counts, open flag. ARGV: window s, min failures, ratio, open ms. Counts a failed call;
# returns 1 when it opened the breaker.
_RECORD_FAILURE = (
    BREAKER_LUA
    + """
local second = tonumber(redis.call('TIME')[1])
local window = tonumber(ARGV[1])
breaker_count(KEYS[1], second, 'f', window)
if breaker_open(KEYS[2]) then return 0 end
local calls, failures = breaker_counts(KEYS[1], second, window)
if failures >= tonumber(ARGV[2]) and failures >= tonumber(ARGV[3]) * calls then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""
)


@dataclass(frozen=True)
class BreakerPolicy:
    min_failures: int
    failure_ratio: float
    window_seconds: int
    open_seconds: float


class CircuitBreaker:
    def __init__(self, redis: Redis, policy: BreakerPolicy) -> None:
        self.policy = policy
        self._record_failure = redis.register_script(_RECORD_FAILURE)

    @staticmethod
    def keys(target: ModelRef) -> list[str]:
        """The model's counts and open flag, the keys of `BREAKER_LUA`'s functions."""
        base = f"izana:breaker:{target.key}"
        return [f"{base}:outcomes", f"{base}:open"]

    async def record_failure(self, target: ModelRef) -> bool:
        """Count a failed call; True when it opened the breaker."""
        policy = self.policy
        args: list[str | int | float] = [
            policy.window_seconds,
            policy.min_failures,
            policy.failure_ratio,
            int(policy.open_seconds * 1000),
        ]
        return bool(await self._record_failure(keys=self.keys(target), args=args))
