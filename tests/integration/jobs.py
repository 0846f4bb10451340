"""Chat jobs as the API admits them (session, job record), for integration tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from shared.events import StreamEvent, read_after
from shared.jobs import ChatJob, new_job_id, now_ms
from shared.resources import Resources
from shared.sessions.service import create_session


def chat_job() -> ChatJob:
    """A chat job of no stored session: for tests of the queue, which read none."""
    return ChatJob(
        job_id=new_job_id(), session_id=uuid.uuid4(), conversation_id=uuid.uuid4(),
        message="What causes irregular periods?", enqueued_at_ms=now_ms(),
    )  # fmt: skip


async def queued_job(
    resources: Resources,
    message: str,
    *,
    language: str | None = None,
    conversation_id: uuid.UUID | None = None,
    new_conversation: bool = False,
    enqueued_at_ms: int | None = None,
) -> ChatJob:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    job = ChatJob(
        job_id=new_job_id(), session_id=issued.session.id,
        conversation_id=conversation_id or uuid.uuid4(), new_conversation=new_conversation,
        message=message, language=language, enqueued_at_ms=enqueued_at_ms or now_ms(),
    )  # fmt: skip
    await resources.jobs.create(job.queued_record())
    return job


async def queued_follow_up(resources: Resources, first: ChatJob, message: str) -> ChatJob:
    """A next question in `first`'s conversation, queued as the API admits it."""
    job = ChatJob(
        job_id=new_job_id(), session_id=first.session_id, conversation_id=first.conversation_id,
        message=message, enqueued_at_ms=now_ms(),
    )  # fmt: skip
    await resources.jobs.create(job.queued_record())
    return job


async def events_of(resources: Resources, job_id: str) -> list[StreamEvent]:
    return await read_after(resources.redis, job_id, "0-0", count=10_000)


# How long a test waits for what must happen, polling: a bound against hanging, not a target.
BOUND_SECONDS = 90.0
POLL_SECONDS = 0.2


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(int(BOUND_SECONDS / POLL_SECONDS)):
        if await check():
            return
        await asyncio.sleep(POLL_SECONDS)
    pytest.fail(f"not within {BOUND_SECONDS:.0f} s: {what}")
