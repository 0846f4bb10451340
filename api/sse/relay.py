"""Replays a job's stream after Last-Event-ID, then follows it live through the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

from redis.asyncio import Redis
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.sse.hub import StreamHub
from shared.events import StreamEvent, read_after, stream_id_key

REPLAY_BATCH = 500


class ClientTooSlow(Exception):
    """The client's queue overflowed; it reconnects with Last-Event-ID."""


async def job_events(
    hub: StreamHub, redis: Redis, job_id: str, after_id: str
) -> AsyncIterator[StreamEvent]:
    """Every event after `after_id` up to and including the terminal one, each exactly once."""
    subscription = await hub.subscribe(job_id)  # before replay: nothing falls in between
    cursor = after_id
    try:
        while True:
            replayed = await read_after(redis, job_id, cursor, REPLAY_BATCH)
            for event in replayed:
                yield event
                cursor = event.id
                if event.is_terminal:
                    return
            if len(replayed) < REPLAY_BATCH:
                break
        while True:
            event = await subscription.queue.get()
            if subscription.overflowed:
                raise ClientTooSlow(job_id)
            if stream_id_key(event.id) <= stream_id_key(cursor):
                continue  # already replayed
            yield event
            cursor = event.id
            if event.is_terminal:
                return
    finally:
        hub.unsubscribe(subscription)


async def _as_sse(events: AsyncIterator[StreamEvent]) -> AsyncIterator[ServerSentEvent]:
    try:
        async for event in events:
            yield ServerSentEvent(data=event.data, event=event.type.value, id=event.id)
    except ClientTooSlow:
        return  # closing the response makes the client reconnect with Last-Event-ID


def sse_response(
    hub: StreamHub, redis: Redis, job_id: str, after_id: str, ping_seconds: float
) -> EventSourceResponse:
    return EventSourceResponse(_as_sse(job_events(hub, redis, job_id, after_id)), ping=ping_seconds)
