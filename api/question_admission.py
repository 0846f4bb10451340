"""Admits a question for a streamed job (a chat message, a blood-work analysis): record the job,
announce its place in the queue and enqueue it, then store the question in its conversation, and
answer the request with the job's event stream (`Accept: text/event-stream`) or 202 with its
links."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, status
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field

from api import errors
from api.capability import EventsCapability
from api.deps import CapabilityDep, HubDep, ResourcesDep
from api.links import events_url, status_url
from api.sse.hub import StreamHub
from api.sse.relay import sse_response
from shared.chat.conversations import (
    ConversationNotFound,
    Question,
    SessionGone,
    ensure_conversation_owner,
    record_question,
)
from shared.db.models import UserSession
from shared.jobs import ChatJob, StreamedJob, new_job_id, now_ms
from shared.resources import Resources
from shared.streamed_jobs.queue import Admission, cancel, enqueue
from shared.text.language import detect_language, parse_language

Job = TypeVar("Job", bound=StreamedJob)


def _supported_language(value: str | None) -> str | None:
    parsed = parse_language(value)
    return parsed.value if parsed else None


# A request's optional language: a product language's code or name, else None (detected).
Language = Annotated[
    str | None,
    AfterValidator(_supported_language),
    Field(description="en, ta, hi, te, ml, es or ja"),
]


@dataclass(frozen=True)
class AskedQuestion:
    """The question as stored in the conversation, and the language the user chose, if any."""

    text: str
    language: str | None
    conversation_id: uuid.UUID | None  # None: a new conversation


class QuestionAccepted(BaseModel):
    job_id: str
    conversation_id: uuid.UUID
    events_url: str
    status_url: str


async def conversation_for(
    resources: Resources, session: UserSession, conversation_id: uuid.UUID | None
) -> uuid.UUID:
    """`conversation_id` when the session owns it (404 otherwise), a new one when None."""
    if conversation_id is None:
        return uuid.uuid4()
    try:
        await ensure_conversation_owner(resources.sessionmaker, session.id, conversation_id)
    except ConversationNotFound as error:
        raise errors.ConversationNotFound from error
    return conversation_id


async def admit_question(
    resources: Resources,
    session: UserSession,
    question: AskedQuestion,
    job_type: type[Job],
    **details: Any,
) -> Job:
    """Queue a `job_type` job with these `details` and store `question`; the job."""
    conversation_id = await conversation_for(resources, session, question.conversation_id)
    language = question.language or detect_language(question.text)
    job = job_type(
        job_id=new_job_id(),
        session_id=session.id,
        conversation_id=conversation_id,
        new_conversation=question.conversation_id is None,
        language=question.language,
        enqueued_at_ms=now_ms(),
        **details,
    )
    stored = Question(job.job_id, session.id, conversation_id, question.text, language)
    await _queue_and_store(resources, stored, job)
    return job


async def _queue_and_store(resources: Resources, question: Question, job: StreamedJob) -> None:
    """Queue the job, then store its question: the worker starts the job while Postgres writes.
    A question that cannot be stored (its session erased meanwhile, Postgres out of reach)
    cancels its job and fails the request: a worker stores nothing for a cancelled job. A
    worker that answers first stores the question with its answer (`save_exchange`), so the
    order of the two writes does not matter."""
    await _queue(resources, job)
    try:
        await record_question(resources.engine, question)
    except Exception as error:
        await cancel(resources.jobs, resources.arq, job.job_id)
        if isinstance(error, SessionGone):
            raise errors.SessionInvalid from error
        raise


async def admit_chat(
    resources: Resources, session: UserSession, question: AskedQuestion
) -> ChatJob:
    """Queue a chat question (`POST /v1/chat`, `/v1/chat/completions`); 422 past
    MAX_MESSAGE_CHARS."""
    limit = resources.settings.max_message_chars
    if len(question.text) > limit:
        raise errors.MessageTooLong(limit)
    return await admit_question(resources, session, question, ChatJob, message=question.text)


async def _queue(resources: Resources, job: StreamedJob) -> None:
    """Record the job, announce its place in the queue, and enqueue it (one round trip)."""
    settings = resources.settings
    admission = Admission(
        job.queued_record(), settings.job_record_ttl_seconds, settings.events_max_len
    )
    await enqueue(resources.arq, job.job_name, job, job.job_id, admission)


@dataclass(frozen=True)
class JobReply:
    """How a request that queued a job is answered: the job's events in the response when the
    client accepts SSE (with `X-Job-Id` and `X-Conversation-Id`), else 202 with its links."""

    resources: Resources
    hub: StreamHub
    capability: EventsCapability
    accept: str | None

    def to(self, job: StreamedJob) -> Response:
        if self.accept is not None and "text/event-stream" in self.accept:
            ping = self.resources.settings.sse_ping_seconds
            response = sse_response(self.hub, self.resources.redis, job.job_id, "0-0", ping)
            response.headers.update(
                {"X-Job-Id": job.job_id, "X-Conversation-Id": str(job.conversation_id)}
            )
            return response
        links = QuestionAccepted(
            job_id=job.job_id,
            conversation_id=job.conversation_id,
            events_url=events_url(self.capability, job.job_id),
            status_url=status_url(job.job_id),
        )
        return JSONResponse(
            links.model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": links.status_url},
        )


async def get_job_reply(
    resources: ResourcesDep,
    hub: HubDep,
    capability: CapabilityDep,
    # OpenAPI ignores an `Accept` parameter: the 200 response's media types say it.
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JobReply:
    return JobReply(resources, hub, capability, accept)


JobReplyDep = Annotated[JobReply, Depends(get_job_reply)]
