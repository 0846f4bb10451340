"""The Izana worker: ARQ's worker with prompt pickup, leases, reconnection and hand-back.

- **Pickup.** `shared.jobs.enqueue` appends each job's id to its queue's wake-up list; an idle
  worker of that queue blocks on BLPOP and claims that job at once, without a queue scan. The
  queue scan and ARQ's abort check run once per `poll_delay` (retries, aborts, deferred jobs,
  lapsed leases, ids the list lost) and when a slot frees. A worker at `max_jobs` waits for a
  free slot instead, leaving the ids to others.
- **Leases.** ARQ locks a started job for the longest function timeout + 10 s, an hour once
  ingestion shares the queue. Here that lock is a lease of `JOB_LEASE_SECONDS`, renewed every
  third of it while the job runs, so a dead worker's jobs are taken over within a lease.
- **Reconnection.** A Redis error in the poll loop, a lease renewal or the write of a job's
  outcome is logged and retried with backoff; the worker never exits on it. An outcome that
  could not be written leaves the job to its lapsing lease, and it runs again.
- **Probes and metrics.** With `WORKER_METRICS_PORT` set, the worker serves `/metrics`,
  `/livez` and `/readyz` on that port (`worker/http.py`); it is ready once started, while it
  takes jobs and reaches Redis.
- **Hand-back.** On SIGTERM the worker stops taking jobs and leaves the ready set; jobs still
  running after the grace period are cancelled and their leases released at once, without
  counting the interrupted attempt as one of ARQ's tries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from signal import Signals
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.constants import abort_job_max_age, abort_jobs_ss, in_progress_key_prefix, retry_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from shared.streamed_jobs import workers
from shared.streamed_jobs.failures import REDIS_OUTAGES, is_outage
from shared.streamed_jobs.queue import wake_key
from shared.streamed_jobs.tries import SUPERSEDED_KEY
from worker.http import WorkerHttp

log = logging.getLogger(__name__)

REDIS_ERRORS = (*REDIS_OUTAGES, OSError)
# Claims, in queue order, up to ARGV[3] of the ids ARGV[4..] for this worker: an id whose lease
# (KEYS[2..], in the same order) is free and whose score in the queue (KEYS[1]) is due by
# ARGV[1] gets the lease, ARGV[2] ms, as ARQ's start transaction does. Returns id, score pairs.
CLAIM_SCRIPT = """
local taken = {}
local slots = tonumber(ARGV[3])
for i = 4, #ARGV do
  if #taken >= 2 * slots then break end
  local lease = KEYS[i - 2]
  if redis.call('EXISTS', lease) == 0 then
    local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if score and tonumber(score) <= tonumber(ARGV[1]) then
      redis.call('PSETEX', lease, ARGV[2], '1')
      taken[#taken + 1] = ARGV[i]
      taken[#taken + 1] = score
    end
  end
end
return taken
"""
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 2.0


class IzanaWorker(Worker):
    def __init__(
        self,
        *args: Any,
        lease_seconds: float,
        wake_on_enqueue: bool,
        http_port: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.http = None if http_port is None else WorkerHttp(http_port, self.ready)
        self._started = False
        self.in_progress_timeout_s = lease_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self._renew_every = lease_seconds / 3
        self._wake_on_enqueue = wake_on_enqueue
        self._slot_freed = asyncio.Event()
        self._superseded: set[str] = set()
        self.ctx[SUPERSEDED_KEY] = self._superseded
        self._backoff = 0.0
        self._claim_script: AsyncScript | None = None
        self._scan_due = True  # the first poll scans; then see `_poll_iteration`
        self._last_scan = 0.0  # time.monotonic()

    async def main(self) -> None:
        if self.http is not None:
            await self.http.start()
        try:
            await self._start()
            self._started = True
            await self._run()
        finally:
            if self.http is not None:
                await self.http.stop()

    async def _run(self) -> None:
        keeper = asyncio.create_task(self._keep_leases(), name="worker-leases")
        waker: Redis = self.pool.client()
        try:
            while not await self._burst_done():
                await self._poll_and_wait(waker)
        finally:
            keeper.cancel()
            await waker.aclose()

    async def _burst_done(self) -> bool:
        """In burst mode (tests, one-off runs): once the queue is empty and its jobs are done."""
        if not (self.burst and self._started) or await self.pool.zcard(self.queue_name):
            return False
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        return True

    async def ready(self) -> bool:
        """Started, taking jobs and reaching Redis (the worker's readiness probe)."""
        if not (self._started and self.allow_pick_jobs):
            return False
        try:
            await asyncio.wait_for(self.pool.ping(), READY_TIMEOUT_SECONDS)
        except (*REDIS_ERRORS, TimeoutError):
            return False
        return True

    async def _start(self) -> None:
        """Connect and run the startup hook; while Redis or Postgres is out of reach, again."""
        while True:
            try:
                await self._connect_and_start_up()
            except Exception as error:
                if not is_outage(error):
                    raise
                await self._back_off("worker start failed", error)
            else:
                self._backoff = 0.0
                return

    async def _connect_and_start_up(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        await log_redis_info(self.pool, log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)

    async def _poll_and_wait(self, waker: Redis) -> None:
        try:
            await self._poll_iteration()
            await self._wait_for_work(waker)
        except REDIS_ERRORS as error:
            self._scan_due = True
            await self._back_off("redis unavailable", error)
        else:
            self._backoff = 0.0

    async def _back_off(self, what: str, error: BaseException) -> None:
        self._backoff = min(BACKOFF_MAX_SECONDS, self._backoff * 2 or BACKOFF_FIRST_SECONDS)
        log.warning(
            f"{what}; the worker tries again",
            extra={"error": type(error).__name__, "retry_in_seconds": self._backoff},
        )
        await asyncio.sleep(self._backoff)

    async def _wait_for_work(self, waker: Redis) -> None:
        """Until a slot frees (a scan is then due), a job's id is pushed (that job is claimed
        at once) or the poll delay passes."""
        if self.job_counter >= self.max_jobs or not self.allow_pick_jobs:
            self._slot_freed.clear()
            try:
                await asyncio.wait_for(self._slot_freed.wait(), self.poll_delay_s)
            except TimeoutError:
                pass
            self._scan_due = True
        elif self._wake_on_enqueue:
            wake_list = wake_key(self.queue_name)
            woken = await waker.blpop([wake_list], timeout=self.poll_delay_s)  # type: ignore[arg-type,misc]
            if woken is not None:
                await self._claim_and_start([woken[1].decode()])
        else:
            await asyncio.sleep(self.poll_delay_s)

    async def _poll_iteration(self) -> None:
        """ARQ's poll iteration, when a scan is due or `poll_delay` has passed since the last one,
        in one round trip: its queue scan and its abort check, two transactions in ARQ, go to
        Redis as one. Finished tasks are reaped and the heartbeat kept on every call."""
        if self._scan_due or time.monotonic() - self._last_scan >= self.poll_delay_s:
            self._scan_due = False
            self._last_scan = time.monotonic()
            await self._scan_and_abort()
        self._reap_finished_tasks()
        await self.heart_beat()

    async def _scan_and_abort(self) -> None:
        scan = self.allow_pick_jobs and self.job_counter < self.max_jobs
        async with self.pool.pipeline(transaction=True) as pipe:
            if scan:
                pipe.zrangebyscore(
                    self.queue_name, min=float("-inf"), max=timestamp_ms(),
                    start=self._queue_read_offset, num=self.queue_read_limit,
                )  # fmt: skip
            if self.allow_abort_jobs:
                pipe.zrange(abort_jobs_ss, 0, -1)
                pipe.zremrangebyscore(
                    abort_jobs_ss, min=timestamp_ms() + abort_job_max_age, max=float("inf")
                )
            replies = await pipe.execute() if len(pipe) else []
        if scan:
            await self.start_jobs(replies[0])
        if self.allow_abort_jobs:
            await self._abort(replies[-2])

    async def _abort(self, abort_requests: list[bytes]) -> None:
        """Cancel the running jobs asked to abort, as ARQ's `_cancel_aborted_jobs` does."""
        requested = {job_id.decode() for job_id in abort_requests}
        aborted = requested & self.job_tasks.keys()
        for job_id in aborted:
            self.job_tasks[job_id].cancel()
        if aborted:
            self.aborting_tasks.update(aborted)
            await self.pool.zrem(abort_jobs_ss, *aborted)

    def _reap_finished_tasks(self) -> None:
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                task.result()  # a failure of run_job itself surfaces here, as in ARQ

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """ARQ checks and leases each queued id in a WATCH/MULTI transaction of its own, four
        round trips per id, running or not; here one script claims as many of the ids as this
        worker has free slots for, each only if no lease holds it and it is due."""
        await self._claim_and_start([job_id.decode() for job_id in job_ids])

    async def _claim_and_start(self, job_ids: list[str]) -> None:
        candidates = [job_id for job_id in job_ids if job_id not in self.tasks]
        free_slots = self.max_jobs - self.job_counter
        if not candidates or free_slots <= 0:
            return
        leases = [in_progress_key_prefix + job_id for job_id in candidates]
        args: list[str | int] = [timestamp_ms(), self._lease_ms, free_slots, *candidates]
        claimed = await self._claim(keys=[self.queue_name, *leases], args=args)
        for job_id, score in zip(claimed[::2], claimed[1::2], strict=True):
            await self._start_claimed(job_id.decode(), int(float(score)))

    async def _start_claimed(self, job_id: str, score: int) -> None:
        """Start a claimed job in a slot, as ARQ's `start_jobs` does."""
        await self.sem.acquire()
        self.job_counter += 1
        task = self.loop.create_task(self.run_job(job_id, score))
        task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
        self.tasks[job_id] = task

    @property
    def _claim(self) -> AsyncScript:
        if self._claim_script is None:
            self._claim_script = self.pool.register_script(CLAIM_SCRIPT)
        return self._claim_script

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self._slot_freed.set()

    async def _keep_leases(self) -> None:
        """Renew the lease of every running job, and beat while this worker takes jobs."""
        while True:
            running = [job_id for job_id, task in self.tasks.items() if not task.done()]
            try:
                async with self.pool.pipeline(transaction=False) as pipe:
                    for job_id in running:
                        pipe.pexpire(in_progress_key_prefix + job_id, self._lease_ms)
                    if self.allow_pick_jobs:
                        workers.beat(pipe, self.worker_id)
                    await pipe.execute()
            except REDIS_ERRORS as error:
                log.warning("lease renewal failed", extra={"error": type(error).__name__})
            await asyncio.sleep(self._renew_every)

    @property
    def _lease_ms(self) -> int:
        return int(self.in_progress_timeout_s * 1000)

    async def finish_job(
        self,
        job_id: str,
        finish: bool,
        result_data: bytes | None,
        result_timeout_s: float | None,
        keep_result_forever: bool,
        incr_score: int | None,
        keep_in_progress: float | None,
    ) -> None:
        if job_id in self._superseded:
            self._superseded.discard(job_id)
            return  # a later attempt on another worker owns the job now
        # Cancelled after the signal, not retried: the release of a job handed back.
        handed_back = not finish and incr_score is None and not self.allow_pick_jobs
        try:
            if handed_back:
                # The try goes back while the lease still keeps other workers off the job: once
                # the lease is released, another worker may start it and count its own try.
                await self.pool.decr(retry_key_prefix + job_id)
            await super().finish_job(
                job_id, finish, result_data, result_timeout_s, keep_result_forever,
                incr_score, keep_in_progress,
            )  # fmt: skip
        except REDIS_ERRORS:
            log.warning("job outcome not queued; it runs again", extra={"job_id": job_id})

    async def finish_failed_job(self, job_id: str, result_data: bytes | None) -> None:
        try:
            await super().finish_failed_job(job_id, result_data)
        except REDIS_ERRORS:
            log.warning("job outcome not queued; it runs again", extra={"job_id": job_id})

    async def close(self) -> None:
        # ARQ gathers its job tasks here; those the shutdown cancelled would raise their
        # CancelledError out of it, and the process would end with a traceback.
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        await super().close()

    def handle_sig(self, signum: Signals) -> None:
        self._stop_taking_jobs()
        super().handle_sig(signum)

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        self._stop_taking_jobs()
        super().handle_sig_wait_for_completion(signum)

    def _stop_taking_jobs(self) -> None:
        self.allow_pick_jobs = False
        self.loop.create_task(self._leave_ready_set())

    async def _leave_ready_set(self) -> None:
        try:
            await workers.leave(self.pool, self.worker_id)
        except REDIS_ERRORS:
            log.warning("could not leave the ready set; the heartbeat goes stale instead")
