"""Admission in one round trip: the job's record, its queued event with its place in the queue,
and an ARQ job that ARQ itself reads back, all from one script on real Redis; and a question
that Postgres refuses, which cancels its job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from arq import create_pool
from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss, job_key_prefix
from arq.jobs import Job, JobStatus

from api.errors import SessionInvalid
from api.question_admission import AskedQuestion, admit_chat
from shared.db.models import UserSession
from shared.jobs import ChatJob, JobName, job_key
from shared.jobs import JobStatus as RecordStatus
from shared.resources import Resources, arq_redis_settings
from shared.sessions.service import create_session
from shared.streamed_jobs.queue import Admission, enqueue, wake_key
from tests.integration.jobs import chat_job, events_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def arq_on_own_queue(resources: Resources) -> AsyncIterator[ArqRedis]:
    """An ARQ pool whose queue no worker of the suite reads, so the jobs stay queued."""
    queue = f"test-admission:{uuid.uuid4().hex}"
    url = resources.settings.redis_url or ""
    pool = await create_pool(arq_redis_settings(url), default_queue_name=queue)
    try:
        yield pool
    finally:
        await pool.delete(queue, wake_key(queue))
        await pool.aclose()


def admission(job: ChatJob) -> Admission:
    return Admission(job.queued_record(), record_ttl_seconds=600, events_max_len=100)


async def test_an_admitted_job_is_recorded_announced_and_queued_for_arq(
    resources: Resources, arq_on_own_queue: ArqRedis
) -> None:
    first, second = chat_job(), chat_job()
    positions = [
        await enqueue(arq_on_own_queue, JobName.CHAT_ANSWER, job, job.job_id, admission(job))
        for job in (first, second)
    ]
    assert positions == [1, 2]
    for job, position in zip((first, second), positions, strict=True):
        record = await resources.jobs.get(job.job_id)
        assert record == job.queued_record() and record.status is RecordStatus.QUEUED
        assert 0 < await resources.redis.ttl(job_key(job.job_id)) <= 600
        events = await events_of(resources, job.job_id)
        assert [(e.type.value, e.payload()) for e in events] == [
            ("status", {"stage": "queued", "position": position})
        ]
        arq_job = Job(job.job_id, arq_on_own_queue, _queue_name=arq_on_own_queue.default_queue_name)
        assert await arq_job.status() is JobStatus.queued
        info = await arq_job.info()
        assert info is not None and info.function == JobName.CHAT_ANSWER.value
        assert info.args == (job.model_dump(mode="json"),) and info.kwargs == {}


async def test_a_job_id_is_admitted_once(resources: Resources, arq_on_own_queue: ArqRedis) -> None:
    job = chat_job()
    await enqueue(arq_on_own_queue, JobName.CHAT_ANSWER, job, job.job_id, admission(job))
    with pytest.raises(RuntimeError, match="already queued"):
        await enqueue(arq_on_own_queue, JobName.CHAT_ANSWER, job, job.job_id, admission(job))
    assert len(await events_of(resources, job.job_id)) == 1
    assert await arq_on_own_queue.zcard(arq_on_own_queue.default_queue_name) == 1


async def test_a_question_that_cannot_be_stored_fails_the_request_and_cancels_its_job(
    resources: Resources, arq_on_own_queue: ArqRedis
) -> None:
    """The question is stored while its job is queued; when it cannot be stored (here its
    session was erased after the request's lookup), the request is refused as the session's and
    the job, queued by then, is cancelled, so no worker answers it."""
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    async with resources.sessionmaker() as db, db.begin():
        await db.delete(await db.get(UserSession, issued.session.id))
    resources = replace(resources, arq=arq_on_own_queue)  # no worker of the suite takes the job
    aborts_before = set(await resources.arq.zrange(abort_jobs_ss, 0, -1))
    with pytest.raises(SessionInvalid):
        await admit_chat(resources, issued.session, AskedQuestion("What is AMH?", None, None))
    aborted = set(await resources.arq.zrange(abort_jobs_ss, 0, -1)) - aborts_before
    assert len(aborted) == 1
    job_id = aborted.pop().decode()
    try:
        record = await resources.jobs.get(job_id)
        assert record is not None and record.status is RecordStatus.CANCELLED
        assert record.session_id == str(issued.session.id)
        assert await resources.arq.zscore(resources.arq.default_queue_name, job_id) is not None
    finally:
        await resources.arq.zrem(abort_jobs_ss, job_id)
        await resources.arq.delete(job_key_prefix + job_id)
