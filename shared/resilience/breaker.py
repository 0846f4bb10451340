"""A circuit breaker per provider model, shared by every worker through Redis.

`threshold` failures in a row open it for `open_seconds`; then calls are let through again and
the next failure opens it at once (half-open), while a success closes it.
"""

from __future__ import annotations

from redis.asyncio import Redis

from shared.resilience.errors import ModelRef

# KEYS: failures counter, open flag. ARGV: threshold, open ms. Returns 1 when this opened it.
_RECORD_FAILURE = """
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
if failures >= tonumber(ARGV[1]) and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('SET', KEYS[1], ARGV[1] - 1, 'PX', tonumber(ARGV[2]) * 4)
  return 1
end
return 0
"""


class CircuitBreaker:
    def __init__(self, redis: Redis, threshold: int, open_seconds: float) -> None:
        self._redis = redis
        self._threshold = threshold
        self._open_ms = int(open_seconds * 1000)
        self._record_failure = redis.register_script(_RECORD_FAILURE)

    @staticmethod
    def _keys(target: ModelRef) -> list[str]:
        base = f"izana:breaker:{target.key}"
        return [f"{base}:failures", f"{base}:open"]

    async def is_open(self, target: ModelRef) -> bool:
        return bool(await self._redis.exists(self._keys(target)[1]))

    async def record_failure(self, target: ModelRef) -> bool:
        """Count a failed call; True when it opened the breaker."""
        opened = await self._record_failure(
            keys=self._keys(target), args=[self._threshold, self._open_ms]
        )
        return bool(opened)

    async def record_success(self, target: ModelRef) -> None:
        await self._redis.delete(self._keys(target)[0])
