"""A chat job run against real Redis and Postgres: events, persistence, re-runs, deadlines."""

import asyncio
import uuid
from dataclasses import replace

import pytest
from sqlmodel import col, select

from shared.chat.gold_match import GoldAnswers
from shared.chat.job import run_chat_job
from shared.db.models import KnowledgeGap, Message
from shared.events import EventType
from shared.jobs import ACTIVE_STATUSES, ChatJob, JobStatus, now_ms
from shared.providers.llm.extractive import ExtractiveAnswerer
from shared.rag.assembly import Providers
from shared.resources import Resources
from shared.streamed_jobs.queue import cancel
from tests.constants import unique_question
from tests.integration.jobs import events_of, eventually, queued_job

pytestmark = pytest.mark.integration

QUESTION = "What are the symptoms of endometriosis?"


async def new_job(resources: Resources, enqueued_at_ms: int | None = None) -> ChatJob:
    return await queued_job(resources, unique_question(QUESTION), enqueued_at_ms=enqueued_at_ms)


async def test_a_job_streams_a_cited_answer_and_stores_it(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    job = await new_job(resources)
    message_id = await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False)
    events = await events_of(resources, job.job_id)
    kinds = [event.type for event in events]
    assert kinds[0] is EventType.STATUS and kinds[-1] is EventType.DONE
    assert kinds.index(EventType.CITATIONS) > max(
        i for i, kind in enumerate(kinds) if kind is EventType.TOKEN
    )
    done = events[-1].payload()
    tokens = "".join(e.payload()["text"] for e in events if e.type is EventType.TOKEN)
    assert tokens == done["answer"] and "ndometriosis" in tokens
    assert done["message_id"] == message_id and done["mode"] == "extractive"
    async with resources.sessionmaker() as db:
        stored = await db.get(Message, uuid.UUID(message_id))
    assert stored is not None and stored.content == done["answer"] and stored.citations
    record = await resources.jobs.get(job.job_id)
    assert record is not None and record.status is JobStatus.COMPLETE


async def test_a_rerun_of_a_finished_job_does_nothing(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    job = await new_job(resources)
    await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False)
    before = await events_of(resources, job.job_id)
    assert await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False) is None
    assert await events_of(resources, job.job_id) == before


async def test_a_retried_attempt_starts_with_reset_and_keeps_one_message(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    job = await new_job(resources)
    await resources.jobs.start_attempt(job.job_id)  # a first attempt that crashed mid-way
    message_id = await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False)
    events = await events_of(resources, job.job_id)
    assert events[0].type is EventType.RESET
    assert events[-1].payload()["message_id"] == message_id


async def test_a_cancelled_job_is_not_run(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    job = await new_job(resources)
    await resources.jobs.transition(job.job_id, JobStatus.CANCELLED, ACTIVE_STATUSES)
    assert await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False) is None
    assert await events_of(resources, job.job_id) == []


async def test_a_job_cancelled_while_it_answers_stores_nothing(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    """As when its conversation is deleted mid-answer: the answer must not be written back."""
    slow = replace(providers, llm=ExtractiveAnswerer(words_per_second=50))
    job = await new_job(resources)
    running = asyncio.create_task(run_chat_job(slow, GoldAnswers(), resources, job, last_try=False))

    async def streaming() -> bool:
        return any(e.type is EventType.TOKEN for e in await events_of(resources, job.job_id))

    await eventually(streaming, "the answer streaming")
    assert await cancel(resources.jobs, resources.arq, job.job_id)
    assert await running is None
    async with resources.sessionmaker() as db:
        stored = await db.scalar(select(Message).where(col(Message.job_id) == job.job_id))
    assert stored is None


async def test_a_job_past_its_deadline_fails_with_a_clear_error(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    deadline_ms = resources.settings.job_deadline_seconds * 1000
    job = await new_job(resources, enqueued_at_ms=now_ms() - deadline_ms - 1000)
    assert await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False) is None
    events = await events_of(resources, job.job_id)
    assert events[-1].type is EventType.ERROR
    assert events[-1].payload()["code"] == "deadline_exceeded"
    record = await resources.jobs.get(job.job_id)
    assert record is not None and record.status is JobStatus.FAILED


async def gap_of(resources: Resources, job_id: str) -> KnowledgeGap | None:
    async with resources.sessionmaker() as db:
        found = await db.scalars(select(KnowledgeGap).where(col(KnowledgeGap.job_id) == job_id))
        return found.first()


@pytest.mark.usefixtures("pgvector")  # the threshold is calibrated for the e5 view's scores
async def test_a_question_the_knowledge_base_cannot_answer_is_logged_as_a_gap(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    threshold = resources.settings.knowledge_gap_threshold
    off_topic = await queued_job(resources, unique_question("How do I rotate the tyres of a van?"))
    covered = await new_job(resources)
    for job in (off_topic, covered):
        await run_chat_job(providers, GoldAnswers(), resources, job, last_try=False)
    gap = await gap_of(resources, off_topic.job_id)
    assert gap is not None and gap.language == "en" and gap.best_score < threshold
    assert gap.question.startswith("How do I rotate the tyres of a van?")
    assert await gap_of(resources, covered.job_id) is None
