"""Admits a chat question: store it, record the job, announce its place, enqueue it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from api.errors import ApiError
from api.streamed_jobs import queue_streamed_job
from shared.conversations import (
    ConversationNotFound,
    Question,
    ensure_conversation_owner,
    record_question,
)
from shared.db.models import UserSession
from shared.jobs import ChatJob, JobName, new_job_id
from shared.jobstore import now_ms
from shared.rag.language import detect_language
from shared.resources import Resources


@dataclass(frozen=True)
class AdmittedChat:
    job_id: str
    conversation_id: uuid.UUID


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


async def admit_chat(
    resources: Resources,
    session: UserSession,
    message: str,
    conversation_id: uuid.UUID | None,
    language: str | None,
) -> AdmittedChat:
    conversation_id = await conversation_for(resources, session, conversation_id)
    job_id = new_job_id()
    await record_question(
        resources.sessionmaker,
        Question(
            job_id, session.id, conversation_id, message, language or detect_language(message)
        ),
    )
    enqueued_at = now_ms()
    payload = ChatJob(
        job_id=job_id,
        session_id=session.id,
        conversation_id=conversation_id,
        message=message,
        language=language,
        enqueued_at_ms=enqueued_at,
    )
    owner = (session.id, str(conversation_id))
    await queue_streamed_job(resources, JobName.CHAT_ANSWER, payload, job_id, enqueued_at, owner)
    return AdmittedChat(job_id=job_id, conversation_id=conversation_id)
