"""Queueing a streamed job (chat answer, blood-work analysis) and answering its request: the
job's record, its `queued` event with the queue position, then either the event stream inline
(`Accept: text/event-stream`) or 202 with its links."""

from __future__ import annotations

import uuid

from arq.constants import default_queue_name
from fastapi import status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.sse.hub import StreamHub
from api.sse.relay import sse_response
from shared.events import EventType, Stage
from shared.jobs import JobName, enqueue
from shared.jobstore import JobRecord, JobStatus
from shared.resources import Resources


async def queue_streamed_job(
    resources: Resources,
    name: JobName,
    payload: BaseModel,
    job_id: str,
    enqueued_at_ms: int,
    owner: tuple[uuid.UUID, str],
) -> None:
    """Record, announce and enqueue the job; `owner` is its session and conversation (or report)."""
    session_id, conversation_id = owner
    await resources.jobs.create(
        JobRecord(
            job_id=job_id,
            name=name.value,
            status=JobStatus.QUEUED,
            session_id=str(session_id),
            conversation_id=conversation_id,
            created_at_ms=enqueued_at_ms,
        )
    )
    position = int(await resources.redis.zcard(default_queue_name)) + 1
    await resources.job_events(job_id).publish(
        EventType.STATUS, {"stage": Stage.QUEUED.value, "position": position}
    )
    await enqueue(resources.arq, name, payload, job_id)


def streamed_or_accepted(
    accept: str | None,
    hub: StreamHub,
    resources: Resources,
    job_id: str,
    links: BaseModel,
    stream_headers: dict[str, str] | None = None,
) -> Response:
    """The job's events in this response when the client accepts SSE (with `X-Job-Id` and
    `stream_headers`), else 202 with `links`, which name the job's `status_url`."""
    if accept is not None and "text/event-stream" in accept:
        ping = resources.settings.sse_ping_seconds
        response = sse_response(hub, resources.redis, job_id, "0-0", ping)
        response.headers.update({"X-Job-Id": job_id, **(stream_headers or {})})
        return response
    body = links.model_dump(mode="json")
    return JSONResponse(
        body, status_code=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
    )
