"""The worker's claim of queued jobs (worker/runner.py:CLAIM_SCRIPT) on real Redis: a job is
taken only when no lease holds it and it is due, at most as many as the free slots, in queue
order, and each one taken gets its lease; the poll that claims them and aborts jobs; the pickup
of a woken job without a scan; and the hand-back of a job at shutdown, its try given back before
its lease is released."""

import asyncio
from typing import Any

import pytest
from arq.constants import abort_jobs_ss, in_progress_key_prefix, retry_key_prefix
from arq.worker import func
from redis.asyncio.client import PubSub

from shared.config import Settings
from shared.jobs import JobName, new_job_id, now_ms
from shared.resources import Resources, arq_redis_settings, required_urls
from shared.streamed_jobs.queue import enqueue, wake_key
from tests.integration.jobs import chat_job
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


def _worker(settings: Settings, queue: str, functions: list[Any], **options: Any) -> IzanaWorker:
    return IzanaWorker(
        functions=functions, queue_name=queue, allow_abort_jobs=True,
        redis_settings=arq_redis_settings(required_urls(settings)[0]), handle_signals=False,
        lease_seconds=10, **{"wake_on_enqueue": False, **options},
    )  # fmt: skip


async def _nothing(ctx: dict[str, object]) -> None:
    """A function for a worker that runs none (ARQ needs one)."""


async def _keyspace_events(pubsub: PubSub, count: int) -> list[tuple[str, str]]:
    """The next `count` keyspace events: (key, command)."""
    events: list[tuple[str, str]] = []
    while len(events) < count:
        message = await pubsub.get_message(timeout=10)
        assert message is not None, f"keyspace events seen: {events}"
        if message["type"] == "pmessage":
            key = message["channel"].decode().split(":", 1)[1]
            events.append((key, message["data"].decode()))
    return events


async def _follow_keys(pubsub: PubSub, *keys: str) -> None:
    """Subscribe to the keys' keyspace events; returns once Redis confirmed every pattern."""
    await pubsub.psubscribe(*(f"__keyspace@*__:{key}" for key in keys))
    confirmed = 0
    while confirmed < len(keys):
        message = await pubsub.get_message(timeout=10)
        assert message is not None, "keyspace subscription not confirmed"
        confirmed += message["type"] == "psubscribe"


async def test_a_hand_back_gives_the_try_back_before_it_releases_the_lease(
    settings: Settings,
) -> None:
    """A job cancelled by the shutdown gives its try back while its lease still holds: released
    first, another worker could start it in between and count its own try on top of the
    interrupted one (with one try allowed, the job then failed as exhausted). The order is read
    from Redis's keyspace events."""
    worker = _worker(settings, f"test:queue:{new_job_id()}", [func(_nothing, name="nothing")])
    await worker._connect_and_start_up()
    job_id = new_job_id()
    lease, tries = in_progress_key_prefix + job_id, retry_key_prefix + job_id
    notify = (await worker.pool.config_get("notify-keyspace-events"))["notify-keyspace-events"]
    pubsub = worker.pool.pubsub()
    try:
        await worker.pool.config_set("notify-keyspace-events", "Kg$")
        await _follow_keys(pubsub, lease, tries)
        await worker.pool.set(tries, 1)
        await worker.pool.set(lease, 1)
        assert await _keyspace_events(pubsub, 2) == [(tries, "set"), (lease, "set")]
        worker.allow_pick_jobs = False  # as after SIGTERM
        await worker.finish_job(job_id, False, None, None, False, None, None)
        # Redis names every increment and decrement `incrby`.
        assert await _keyspace_events(pubsub, 2) == [(tries, "incrby"), (lease, "del")]
        assert await worker.pool.get(tries) == b"0"
    finally:
        await worker.pool.config_set("notify-keyspace-events", notify)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await worker.pool.delete(lease, tries)
        await worker.close()


async def test_a_poll_starts_queued_jobs_and_aborts_running_ones(settings: Settings) -> None:
    """The worker's scan (queue scan and abort check in one transaction) on real Redis: a job
    queued is started by one scan, and a running job asked to abort is cancelled by the next."""
    queue = f"test:queue:{new_job_id()}"
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hold(ctx: dict[str, object]) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = _worker(settings, queue, [func(hold, name="hold")])
    await worker._connect_and_start_up()
    try:
        job = await worker.pool.enqueue_job("hold", _queue_name=queue)
        assert job is not None
        await worker._scan_and_abort()
        await asyncio.wait_for(started.wait(), 10)
        await worker.pool.zadd(abort_jobs_ss, {job.job_id: now_ms()})
        await worker._scan_and_abort()
        await asyncio.wait_for(cancelled.wait(), 10)
        assert await worker.pool.zscore(abort_jobs_ss, job.job_id) is None  # the request taken
    finally:
        await worker.pool.delete(queue)
        await worker.close()


async def test_a_woken_worker_starts_the_pushed_job_without_a_scan(settings: Settings) -> None:
    """An enqueue appends its job's id to the wake-up list, and an idle worker claims that job
    at once, without a queue scan: a job queued by ARQ alone (no id pushed) stays queued though
    the worker has a free slot for it, until the poll delay has passed and a poll scans."""
    queue = f"test:queue:{new_job_id()}"
    release = asyncio.Event()

    async def hold(ctx: dict[str, object], payload: dict[str, object]) -> None:
        await release.wait()

    # A poll delay longer than the test, until the test ends it.
    worker = _worker(
        settings, queue, [func(hold, name=JobName.CHAT_ANSWER.value)],
        wake_on_enqueue=True, poll_delay=60, max_jobs=5,
    )  # fmt: skip
    await worker._connect_and_start_up()
    waker, wake_list = worker.pool.client(), wake_key(queue)
    try:
        await worker._poll_iteration()  # the first poll's scan, of an empty queue
        name = JobName.CHAT_ANSWER.value
        unannounced = await worker.pool.enqueue_job(name, {}, _queue_name=queue)
        assert unannounced is not None
        pushed = [chat_job() for _ in range(2)]
        for job in pushed:
            await enqueue(worker.pool, JobName.CHAT_ANSWER, job, job.job_id)
        assert await worker.pool.lrange(wake_list, 0, -1) == [j.job_id.encode() for j in pushed]

        await worker._wait_for_work(waker)  # the oldest id first
        await worker._poll_iteration()
        assert set(worker.tasks) == {pushed[0].job_id}
        await worker._wait_for_work(waker)
        await worker._poll_iteration()
        assert set(worker.tasks) == {job.job_id for job in pushed}

        worker.poll_delay_s = 0  # as if it had passed
        await worker._poll_iteration()
        assert set(worker.tasks) == {unannounced.job_id, *(job.job_id for job in pushed)}
    finally:
        release.set()
        await waker.aclose()
        await worker.pool.delete(queue, wake_list)
        await worker.close()
