"""Attempts of a streamed job fenced by their number: once a later attempt has started (its
lease taken over), the earlier one can neither stream into the job nor end it."""

import uuid

import pytest
from sqlmodel import col, select

from shared.chat.conversations import Question
from shared.chat.exchanges import complete_with
from shared.db.models import Message
from shared.events import AttemptSuperseded, EventType
from shared.jobs import ChatJob, JobStatus
from shared.rag.answer import Answer
from shared.resources import Resources
from shared.streamed_jobs.attempt import JobAttempt, JobEnded
from shared.streamed_jobs.tries import SUPERSEDED_KEY, attempt_job
from tests.constants import unique_question
from tests.integration.jobs import events_of, queued_job

pytestmark = pytest.mark.integration


def result(answer: str) -> Answer:
    return Answer(answer, "en", "en", "extractive", retrieval_ms=1.0, ttft_ms=1.0, total_ms=2.0)


def question_of(job: ChatJob) -> Question:
    return Question(job.job_id, job.session_id, job.conversation_id, job.message, "en")


async def begin(resources: Resources, job: ChatJob) -> JobAttempt:
    attempt = await JobAttempt.begin(resources, job)
    assert attempt is not None
    return attempt


async def test_a_superseded_attempt_cannot_stream_or_end_the_job(resources: Resources) -> None:
    job = await queued_job(resources, unique_question("What is IVF?"))
    stale, current = await begin(resources, job), await begin(resources, job)
    assert (stale.number, current.number) == (1, 2)
    with pytest.raises(AttemptSuperseded):
        await stale.events.add_token("stale")
    with pytest.raises(AttemptSuperseded):
        await complete_with(stale, question_of(job), result("stale answer"))
    record = await resources.jobs.get(job.job_id)
    assert record is not None and record.status is JobStatus.IN_PROGRESS

    await current.announce_retry()
    await current.sink.token("fresh answer")
    message_id = await complete_with(current, question_of(job), result("fresh answer"))
    await current.close()
    events = await events_of(resources, job.job_id)
    assert [e.type for e in events] == [EventType.RESET, EventType.TOKEN, EventType.DONE]
    assert events[-1].payload()["message_id"] == message_id
    record = await resources.jobs.get(job.job_id)
    assert record is not None and record.status is JobStatus.COMPLETE


async def test_an_outcome_is_not_written_when_the_job_was_cancelled(resources: Resources) -> None:
    job = await queued_job(resources, unique_question("What is IVF?"))
    attempt = await begin(resources, job)
    assert await resources.jobs.transition(
        job.job_id, JobStatus.CANCELLED, frozenset({JobStatus.IN_PROGRESS})
    )
    with pytest.raises(JobEnded):
        await complete_with(attempt, question_of(job), result("too late"))
    record = await resources.jobs.get(job.job_id)
    assert record is not None and record.status is JobStatus.CANCELLED
    assert EventType.DONE not in [e.type for e in await events_of(resources, job.job_id)]
    async with resources.sessionmaker() as db:
        stored = await db.scalar(select(Message).where(col(Message.job_id) == job.job_id))
    assert stored is None


async def test_arq_is_told_to_leave_a_superseded_job_alone(resources: Resources) -> None:
    job = await queued_job(resources, unique_question("What is IVF?"))
    superseded: set[str] = set()
    ctx = {"resources": resources, "job_try": 1, "job_id": job.job_id, SUPERSEDED_KEY: superseded}

    async def taken_over(resources: Resources, job: ChatJob, last: bool) -> str:
        stale = await begin(resources, job)
        await begin(resources, job)  # another worker's attempt
        await stale.sink.token("stale")
        return str(uuid.uuid4())

    async def exhausted(resources: Resources, job: ChatJob) -> None:
        raise AssertionError("not exhausted")

    assert await attempt_job(ctx, job, taken_over, exhausted) is None
    assert superseded == {job.job_id}
