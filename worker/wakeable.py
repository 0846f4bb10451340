"""An ARQ worker that sleeps on a wake-up list instead of a fixed poll interval.

`shared.jobs.enqueue` pushes a token per job; an idle worker blocks on BLPOP and starts the job
at once, and `poll_delay` is only the upper bound between queue scans (retries, aborts,
deferred jobs). A worker at `max_jobs` waits for a free slot instead, leaving tokens to others.
"""

from __future__ import annotations

import asyncio

from arq.connections import create_pool, log_redis_info
from arq.worker import Worker, logger
from redis.asyncio import Redis

from shared.jobs import WAKE_KEY


class WakeableWorker(Worker):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._slot_freed = asyncio.Event()

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        logger.info(
            "Starting worker for %d functions: %s", len(self.functions), ", ".join(self.functions)
        )
        await log_redis_info(self.pool, logger.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        waker: Redis = self.pool.client()
        try:
            while True:
                await self._poll_iteration()
                await self._wait_for_work(waker)
        finally:
            await waker.aclose()

    async def _wait_for_work(self, waker: Redis) -> None:
        if self.job_counter >= self.max_jobs:
            self._slot_freed.clear()
            try:
                await asyncio.wait_for(self._slot_freed.wait(), self.poll_delay_s)
            except TimeoutError:
                pass
            return
        await waker.blpop([WAKE_KEY], timeout=self.poll_delay_s)  # type: ignore[arg-type,misc]

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self._slot_freed.set()
