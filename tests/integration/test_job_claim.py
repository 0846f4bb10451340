"""The worker's claim of queued jobs (worker/runner.py:CLAIM_SCRIPT) on real Redis: a job is
taken only when no lease holds it and it is due, at most as many as the free slots, in queue
order, and each one taken gets its lease; and the poll that claims them and aborts jobs."""

import asyncio

import pytest
from arq.constants import abort_jobs_ss, in_progress_key_prefix
from arq.worker import func

from shared.config import Settings
from shared.jobs import new_job_id, now_ms
from shared.resources import Resources, arq_redis_settings, required_urls
from worker.runner import CLAIM_SCRIPT, IzanaWorker

pytestmark = pytest.mark.integration

LEASE_MS = 10_000


async def claim(resources: Resources, queue: str, ids: list[str], slots: int) -> list[str]:
    script = resources.redis.register_script(CLAIM_SCRIPT)
    leases = [in_progress_key_prefix + job_id for job_id in ids]
    taken = await script(keys=[queue, *leases], args=[now_ms(), LEASE_MS, slots, *ids])
    return [str(job_id) for job_id in taken[::2]]


async def test_only_due_jobs_without_a_lease_are_claimed(resources: Resources) -> None:
    queue = f"test:queue:{new_job_id()}"
    due, leased, deferred, gone = (new_job_id() for _ in range(4))
    now = now_ms()
    await resources.redis.zadd(queue, {due: now - 10, leased: now - 20, deferred: now + 60_000})
    await resources.redis.set(in_progress_key_prefix + leased, "1", px=LEASE_MS)

    assert await claim(resources, queue, [leased, due, deferred, gone], slots=10) == [due]
    lease_ms = await resources.redis.pttl(in_progress_key_prefix + due)
    assert 0 < lease_ms <= LEASE_MS
    assert await claim(resources, queue, [due], slots=10) == []  # now leased: not again
    for key in (queue, *(in_progress_key_prefix + job_id for job_id in (due, leased))):
        await resources.redis.delete(key)


async def test_no_more_jobs_than_free_slots_are_claimed(resources: Resources) -> None:
    queue = f"test:queue:{new_job_id()}"
    ids = [new_job_id() for _ in range(5)]
    await resources.redis.zadd(queue, {job_id: now_ms() - 100 + i for i, job_id in enumerate(ids)})

    assert await claim(resources, queue, ids, slots=2) == ids[:2]
    unclaimed = [await resources.redis.exists(in_progress_key_prefix + j) for j in ids[2:]]
    assert unclaimed == [0, 0, 0]
    await resources.redis.delete(queue, *(in_progress_key_prefix + job_id for job_id in ids))


async def test_a_poll_starts_queued_jobs_and_aborts_running_ones(settings: Settings) -> None:
    """The worker's poll (queue scan and abort check in one transaction) on real Redis: a job
    queued is started by one poll, and a running job asked to abort is cancelled by the next."""
    queue = f"test:queue:{new_job_id()}"
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hold(ctx: dict[str, object]) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = IzanaWorker(
        functions=[func(hold, name="hold")], queue_name=queue, allow_abort_jobs=True,
        redis_settings=arq_redis_settings(required_urls(settings)[0]), handle_signals=False,
        lease_seconds=10, wake_on_enqueue=False,
    )  # fmt: skip
    await worker._connect_and_start_up()
    try:
        job = await worker.pool.enqueue_job("hold", _queue_name=queue)
        assert job is not None
        await worker._poll_iteration()
        await asyncio.wait_for(started.wait(), 10)
        await worker.pool.zadd(abort_jobs_ss, {job.job_id: now_ms()})
        await worker._poll_iteration()
        await asyncio.wait_for(cancelled.wait(), 10)
        assert await worker.pool.zscore(abort_jobs_ss, job.job_id) is None  # the request taken
    finally:
        await worker.pool.delete(queue)
        await worker.close()
