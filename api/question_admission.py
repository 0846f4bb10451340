"""Admits a question for a streamed job (a chat message, a blood-work analysis): store it in
its conversation, record the job, announce its place, enqueue it, and answer the request with
the job's links or its event stream."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, Field

from api.capability import EventsCapability
from api.errors import ApiError
from api.links import events_url, status_url
from api.sse.hub import StreamHub
from api.streamed_jobs import queue_streamed_job, streamed_or_accepted
from shared.conversations import (
    ConversationNotFound,
    Question,
    ensure_conversation_owner,
    record_question,
)
from shared.db.models import UserSession
from shared.jobs import JobName, StreamedJob, new_job_id
from shared.jobstore import now_ms
from shared.rag.language import detect_language, parse_language
from shared.resources import Resources


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
class Admitted:
    job_id: str
    conversation_id: uuid.UUID
    enqueued_at_ms: int


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
        raise ApiError(404, "conversation_not_found", "No such conversation.") from error
    return conversation_id


async def admit_question(
    resources: Resources,
    session: UserSession,
    question: AskedQuestion,
    name: JobName,
    job_type: type[StreamedJob],
    **details: Any,
) -> Admitted:
    """Store `question`, then queue job `name`: a `job_type` with these `details`."""
    conversation_id = await conversation_for(resources, session, question.conversation_id)
    job_id = new_job_id()
    language = question.language or detect_language(question.text)
    await record_question(
        resources.sessionmaker,
        Question(job_id, session.id, conversation_id, question.text, language),
    )
    admitted = Admitted(job_id, conversation_id, now_ms())
    payload = job_type(
        job_id=job_id,
        session_id=session.id,
        conversation_id=conversation_id,
        language=question.language,
        enqueued_at_ms=admitted.enqueued_at_ms,
        **details,
    )
    owner = (session.id, str(conversation_id))
    await queue_streamed_job(resources, name, payload, job_id, admitted.enqueued_at_ms, owner)
    return admitted


def accepted_response(
    accept: str | None,
    hub: StreamHub,
    resources: Resources,
    capability: EventsCapability,
    admitted: Admitted,
) -> Response:
    """The job's event stream when the client accepts SSE, else 202 with its links."""
    links = QuestionAccepted(
        job_id=admitted.job_id,
        conversation_id=admitted.conversation_id,
        events_url=events_url(capability, admitted.job_id),
        status_url=status_url(admitted.job_id),
    )
    conversation = {"X-Conversation-Id": str(admitted.conversation_id)}
    return streamed_or_accepted(accept, hub, resources, admitted.job_id, links, conversation)
