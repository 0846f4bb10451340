"""Workers as real processes, killed, stopped and cut off from Redis: no accepted job is lost,
none is answered twice, and `/readyz` tells whether a worker is there.

Each test has a Redis database (or server) of its own, so the suite's worker takes none of
its jobs. Waits are bounded only to fail instead of hanging; nothing here asserts speed.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, func, select

from izana.embedded import EmbeddedRedis, ServiceUrls
from izana.processes import STOP_SECONDS, start_api, start_izana, stop_all, wait_ready
from shared.db.models import Message, Role
from shared.events import EventType, streamed_answer
from shared.jobs import ChatJob, JobName, JobStatus
from shared.resources import Resources, open_resources
from shared.streamed_jobs.queue import enqueue
from shared.streamed_jobs.workers import live_workers
from tests.conftest import offline_settings
from tests.constants import unique_question
from tests.e2e.conftest import process_env
from tests.integration.jobs import BOUND_SECONDS, events_of, eventually, queued_job
from tests.tcp_proxy import postgres_proxy

# Each test starts workers (models load in several seconds) and waits out a slow answer.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

QUESTION = "What are the symptoms of endometriosis?"
# Answers take about 20 s: still streaming when a second worker has started.
SLOW_WORDS_PER_SECOND = "2"
# Answers take a few seconds: still streaming when Redis or Postgres goes away.
BRISK_WORDS_PER_SECOND = "6"
OUTAGE_SECONDS = 3.0
BRISK = {"LOCAL_LLM_WORDS_PER_SECOND": BRISK_WORDS_PER_SECOND, "JOB_LEASE_SECONDS": "3"}


@asynccontextmanager
async def isolated(service_urls: ServiceUrls, redis_url: str) -> AsyncIterator[Resources]:
    """Resources on `redis_url` (emptied first) and the suite's Postgres."""
    async with open_resources(offline_settings(redis_url, service_urls.database_url)) as resources:
        await resources.redis.flushdb()
        yield resources


async def stopped(*processes: subprocess.Popen[bytes] | None) -> None:
    """Stop the processes off the event loop: it keeps serving the proxies that their
    shutdown may go through."""
    running = [process for process in processes if process is not None]
    await asyncio.to_thread(stop_all, running, STOP_SECONDS)


def own_database(service_urls: ServiceUrls) -> str:
    """The suite's Redis, in a database number no other test uses."""
    return f"{service_urls.redis_url}?db=7"


def worker(redis_url: str, database_url: str, **settings: str) -> subprocess.Popen[bytes]:
    env = (
        process_env(ServiceUrls(redis_url, database_url))
        | {"LOCAL_LLM_WORDS_PER_SECOND": SLOW_WORDS_PER_SECOND}
        | settings
    )
    return start_izana(["worker"], env)


async def queue_chats(resources: Resources, count: int) -> list[ChatJob]:
    jobs = [await queued_job(resources, unique_question(QUESTION)) for _ in range(count)]
    for job in jobs:
        await enqueue(resources.arq, JobName.CHAT_ANSWER, job, job.job_id)
    return jobs


async def statuses(resources: Resources, jobs: list[ChatJob]) -> set[JobStatus | None]:
    records = [await resources.jobs.get(job.job_id) for job in jobs]
    return {record.status if record else None for record in records}


async def streaming(resources: Resources, jobs: list[ChatJob]) -> bool:
    """Every job has streamed part of its answer."""
    for job in jobs:
        if not any(e.type is EventType.TOKEN for e in await events_of(resources, job.job_id)):
            return False
    return True


async def workers_ready(
    resources: Resources, count: int, lease_seconds: float | None = None
) -> bool:
    """At least `count` workers beat within a lease: theirs when they were given another lease
    than the test's settings (a worker beats with its renewals, every third of its lease)."""
    fresh_within = lease_seconds or resources.settings.job_lease_seconds
    return await live_workers(resources.redis, fresh_within) >= count


async def assert_answered_once(
    resources: Resources, jobs: list[ChatJob], resets: bool | None = None
) -> None:
    """Each job complete, its stream whole (restarted with `reset` when `resets`, not when
    False), one answer stored."""
    for job in jobs:
        events = await events_of(resources, job.job_id)
        assert events[-1].type is EventType.DONE, [e.type for e in events]
        assert streamed_answer(events) == events[-1].payload()["answer"]
        if resets is not None:
            assert any(e.type is EventType.RESET for e in events) is resets
        async with resources.sessionmaker() as db:
            answers = await db.scalar(
                select(func.count()).where(
                    col(Message.job_id) == job.job_id, col(Message.role) == Role.ASSISTANT
                )
            )
        assert answers == 1


async def test_a_killed_workers_jobs_are_taken_over_when_their_leases_lapse(
    service_urls: ServiceUrls, knowledge_base: int
) -> None:
    redis_url = own_database(service_urls)
    async with isolated(service_urls, redis_url) as resources:
        first = worker(redis_url, service_urls.database_url, JOB_LEASE_SECONDS="3")
        second = None
        try:
            await eventually(lambda: workers_ready(resources, 1), "first worker ready")
            jobs = await queue_chats(resources, 4)
            await eventually(lambda: streaming(resources, jobs), "answers streaming")
            second = worker(redis_url, service_urls.database_url, JOB_LEASE_SECONDS="3")
            await eventually(lambda: workers_ready(resources, 2), "second worker ready")
            first.send_signal(signal.SIGKILL)
            first.wait()
            done = {JobStatus.COMPLETE}
            await eventually(lambda: _equals(statuses(resources, jobs), done), "jobs complete")
            await assert_answered_once(resources, jobs, resets=True)
        finally:
            await stopped(first, second)


async def test_a_stopped_worker_hands_its_jobs_back_at_once(
    service_urls: ServiceUrls, knowledge_base: int
) -> None:
    """The lease (600 s) outlasts the wait: only a hand-back lets the other worker answer, and
    with one try allowed, only a try given back lets it answer instead of failing the job."""
    redis_url = own_database(service_urls)
    settings = {
        "JOB_LEASE_SECONDS": "600",
        "WORKER_SHUTDOWN_GRACE_SECONDS": "1",
        "JOB_MAX_TRIES": "1",
    }
    async with isolated(service_urls, redis_url) as resources:
        first = worker(redis_url, service_urls.database_url, **settings)
        second = None
        try:
            await eventually(lambda: workers_ready(resources, 1), "first worker ready")
            jobs = await queue_chats(resources, 3)
            await eventually(lambda: streaming(resources, jobs), "answers streaming")
            second = worker(redis_url, service_urls.database_url, **settings)
            lease = float(settings["JOB_LEASE_SECONDS"])
            await eventually(lambda: workers_ready(resources, 2, lease), "second worker ready")
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=BOUND_SECONDS) == 0
            done = {JobStatus.COMPLETE}
            await eventually(lambda: _equals(statuses(resources, jobs), done), "jobs complete")
            await assert_answered_once(resources, jobs, resets=True)
            for job in jobs:
                record = await resources.jobs.get(job.job_id)
                assert record is not None and record.attempts == 2
        finally:
            await stopped(first, second)


async def test_a_worker_outlives_a_redis_restart(
    service_urls: ServiceUrls, knowledge_base: int, tmp_path: Path
) -> None:
    redis_server = EmbeddedRedis(tmp_path / "redis")
    redis_server.start()
    try:
        async with isolated(service_urls, redis_server.url) as resources:
            process = worker(redis_server.url, service_urls.database_url, **BRISK)
            try:
                await eventually(lambda: workers_ready(resources, 1), "worker ready")
                in_flight = await queue_chats(resources, 2)
                await eventually(lambda: streaming(resources, in_flight), "answers streaming")
                redis_server.stop()  # SIGTERM: the append-only file keeps queue and records
                await asyncio.sleep(2)
                redis_server.start()
                after = await queue_chats(resources, 2)
                done = {JobStatus.COMPLETE}
                every = in_flight + after
                await eventually(lambda: _equals(statuses(resources, every), done), "complete")
                assert process.poll() is None, "the worker exited"
                await assert_answered_once(resources, after, resets=False)
                await assert_answered_once(resources, in_flight)
            finally:
                await stopped(process)
    finally:
        redis_server.stop()


async def test_a_worker_waits_for_postgres_at_start_and_rides_out_its_outage(
    service_urls: ServiceUrls, knowledge_base: int
) -> None:
    redis_url = own_database(service_urls)
    async with (
        isolated(service_urls, redis_url) as resources,
        postgres_proxy(service_urls.database_url, open_now=False) as database,
    ):
        # With one try allowed, answers survive the outage only if it uses up no tries.
        process = worker(redis_url, database.url, **BRISK, JOB_MAX_TRIES="1")
        try:
            await asyncio.sleep(OUTAGE_SECONDS)  # its start finds no database
            assert process.poll() is None and not await workers_ready(resources, 1)
            await database.open()
            await eventually(lambda: workers_ready(resources, 1), "worker ready")
            in_flight = await queue_chats(resources, 2)
            await eventually(lambda: streaming(resources, in_flight), "answers streaming")
            await database.cut()
            during = await queue_chats(resources, 2)
            await asyncio.sleep(OUTAGE_SECONDS)
            await database.open()
            every = in_flight + during
            done = {JobStatus.COMPLETE}
            await eventually(lambda: _equals(statuses(resources, every), done), "complete")
            assert process.poll() is None, "the worker exited"
            await assert_answered_once(resources, every)
        finally:
            await stopped(process)


async def test_readyz_waits_for_a_worker_with_its_models_loaded(
    service_urls: ServiceUrls, knowledge_base: int
) -> None:
    redis_url = f"{service_urls.redis_url}?db=8"
    urls = ServiceUrls(redis_url, service_urls.database_url)
    async with isolated(service_urls, redis_url):
        api = start_api(process_env(urls))
        process = None
        try:
            wait_ready(api, need_worker=False)
            async with httpx.AsyncClient(base_url=api.base_url, timeout=10) as client:
                before = await client.get("/readyz")
                assert before.status_code == 503
                assert before.json()["checks"]["workers"].startswith("down")
                process = worker(redis_url, service_urls.database_url)

                async def ready() -> bool:
                    return (await client.get("/readyz")).status_code == 200

                await eventually(ready, "ready with a worker")
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=BOUND_SECONDS) == 0
                after = await client.get("/readyz")
                assert after.status_code == 503, "a stopped worker left the ready set"
        finally:
            await stopped(api.process, process)


async def _equals(values: Awaitable[set[JobStatus | None]], expected: set[JobStatus]) -> bool:
    return await values == expected
