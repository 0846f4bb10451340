"""Job status, its event stream (SSE) and cancellation."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from arq.constants import default_queue_name
from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from api.deps import (
    SESSION_ERRORS,
    CapabilityDep,
    HubDep,
    OptionalSessionDep,
    ResourcesDep,
    SessionDep,
    StreamSlotsDep,
)
from api.error_docs import error_responses
from api.errors import (
    EventsExpired,
    EventsTokenExpired,
    EventsTokenInvalid,
    InvalidLastEventId,
    JobFinished,
    JobNotFound,
    TooManyStreams,
    Unauthorized,
)
from api.links import events_url
from api.ratelimit import LIMIT_ERRORS
from api.sse.relay import sse_response
from api.stream_docs import event_stream
from shared.chat.conversations import find_message
from shared.db.models import UserSession
from shared.events import EventType, is_stream_id, stream_key
from shared.jobs import TERMINAL_STATUSES, JobRecord, JobStatus
from shared.resources import Resources
from shared.streamed_jobs.queue import CANCELLED, cancel

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
JobId = Annotated[str, Path(description="The job id returned by POST /v1/chat")]


class JobOut(BaseModel):
    job_id: str
    status: JobStatus
    position: int | None = None
    attempts: int
    events_url: str
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None


async def _load_job(resources: Resources, job_id: str) -> JobRecord:
    record = await resources.jobs.get(job_id) if JOB_ID.match(job_id) else None
    if record is None:
        raise JobNotFound
    return record


async def _owned_job(resources: Resources, job_id: str, session: UserSession) -> JobRecord:
    record = await _load_job(resources, job_id)
    if record.session_id != str(session.id):
        raise JobNotFound  # never reveal others' jobs
    return record


async def _result(resources: Resources, record: JobRecord) -> dict[str, Any] | None:
    if record.message_id is None:
        return None
    message = await find_message(resources.sessionmaker, uuid.UUID(record.message_id))
    if message is None:
        return None
    return {
        "message_id": str(message.id),
        "answer": message.content,
        "mode": message.answer_mode,
        "citations": message.citations,
        "suggestions": message.suggestions,
    }


@router.get("/{job_id}", responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, JobNotFound))
async def get_job(
    job_id: JobId, session: SessionDep, resources: ResourcesDep, capability: CapabilityDep
) -> JobOut:
    record = await _owned_job(resources, job_id, session)
    position = None
    if record.status is JobStatus.QUEUED:
        rank = await resources.redis.zrank(default_queue_name, job_id)
        position = None if rank is None else rank + 1
    error = None
    if record.error_code is not None:
        error = {"code": record.error_code, "message": record.error_message or ""}
    return JobOut(
        job_id=job_id,
        status=record.status,
        position=position,
        attempts=record.attempts,
        events_url=events_url(capability, job_id),
        result=await _result(resources, record),
        error=error,
    )


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: event_stream("The job's events, from the first or after `Last-Event-ID`."),
        **error_responses(
            *LIMIT_ERRORS,
            *SESSION_ERRORS,
            EventsTokenExpired,
            EventsTokenInvalid,
            JobNotFound,
            InvalidLastEventId,
            EventsExpired,
            TooManyStreams,
        ),
    },
)
async def job_events(
    job_id: JobId,
    resources: ResourcesDep,
    hub: HubDep,
    slots: StreamSlotsDep,
    capability: CapabilityDep,
    session: OptionalSessionDep,
    token: Annotated[str | None, Query(description="capability from events_url")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-sent events of the job; reconnect with Last-Event-ID to get only what was missed.

    The stream ends with the job's terminal event, or at once, after what was missed, when the
    client has already seen it. A session may have `SSE_MAX_STREAMS_PER_SESSION` streams open."""
    if token is not None:
        capability.verify(token, job_id)
        record = await _load_job(resources, job_id)
    elif session is not None:
        record = await _owned_job(resources, job_id, session)
    else:
        raise Unauthorized.for_events()
    after_id = "0-0"
    if last_event_id is not None:
        if not is_stream_id(last_event_id.strip()):
            raise InvalidLastEventId
        after_id = last_event_id.strip()
    if record.status in TERMINAL_STATUSES and not await resources.redis.exists(stream_key(job_id)):
        raise EventsExpired
    slot = await slots.acquire(record.session_id)
    ping = resources.settings.sse_ping_seconds
    return sse_response(hub, resources.redis, job_id, after_id, ping, (slots, slot))


@router.delete(
    "/{job_id}", responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, JobNotFound, JobFinished)
)
async def cancel_job(job_id: JobId, session: SessionDep, resources: ResourcesDep) -> dict[str, str]:
    """Cancel a queued or running job; its stream ends with an `error` event coded `cancelled`."""
    await _owned_job(resources, job_id, session)
    if not await cancel(resources.jobs, resources.arq, job_id):
        raise JobFinished
    await resources.job_events(job_id).publish(EventType.ERROR, CANCELLED)
    return {"job_id": job_id, "status": JobStatus.CANCELLED.value}
