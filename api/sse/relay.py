"""Replays a job's stream after Last-Event-ID, then follows it live through the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

from redis.asyncio import Redis
from sse_starlette import EventSourceResponse

from api.sse.hub import RESYNC, Frame, StreamHub, Subscription
from api.sse.slots import Slot, StreamSlots
from shared.events import TERMINAL_EVENTS, last_event, read_after, stream_id_key
from shared.observability.metrics import SSE_STREAMS

REPLAY_BATCH = 500


class ClientTooSlow(Exception):
    """The client's queue overflowed; it reconnects with Last-Event-ID."""


async def job_events(
    hub: StreamHub, redis: Redis, job_id: str, after_id: str
) -> AsyncIterator[list[Frame]]:
    """Every event after `after_id` up to and including the terminal one, each exactly once,
    in batches: a replayed page, or what was queued for the client since its last batch."""
    subscription = await hub.subscribe(job_id)  # before replay: nothing falls in between
    try:
        cursor = after_id
        while True:  # replay, then live until the hub asks for a replay again
            replayed = False
            async for batch in _replayed(redis, job_id, cursor):
                yield batch
                cursor, replayed = batch[-1].id, True
                if batch[-1].terminal:
                    return
            # A replay that found events ended at a live event (a terminal one comes live); one
            # that found none may be past a finished stream's end.
            if not replayed and await _ended_by(redis, job_id, cursor):
                return  # finished, and the client has seen everything up to its end
            async for batch in _live(subscription, stream_id_key(cursor)):
                yield batch
                cursor = batch[-1].id
                if batch[-1].terminal:
                    return
    finally:
        hub.unsubscribe(subscription)


async def _ended_by(redis: Redis, job_id: str, cursor: str) -> bool:
    """Whether the stream ended (its newest event is terminal) at or before `cursor`: nothing
    more will come, e.g. for a Last-Event-ID at or beyond a finished job's last event."""
    newest = await last_event(redis, job_id)
    return (
        newest is not None
        and newest.type in TERMINAL_EVENTS
        and stream_id_key(newest.id) <= stream_id_key(cursor)
    )


async def _replayed(redis: Redis, job_id: str, after_id: str) -> AsyncIterator[list[Frame]]:
    """The stream's events after `after_id`, page by page, through the terminal one."""
    while True:
        replayed = [Frame.of(e) for e in await read_after(redis, job_id, after_id, REPLAY_BATCH)]
        if replayed:
            batch = _through_terminal(replayed)
            yield batch
            after_id = batch[-1].id
        if len(replayed) < REPLAY_BATCH:
            return


async def _live(subscription: Subscription, after: tuple[int, int]) -> AsyncIterator[list[Frame]]:
    """Frames from the hub newer than `after` (those replayed are skipped), batched; ends when
    the hub may have missed some, for the caller to replay them."""
    queue = subscription.queue
    while True:
        items = [await queue.get()]
        while not queue.empty():
            items.append(queue.get_nowait())
        if subscription.overflowed:
            raise ClientTooSlow(subscription.job_id)
        frames = [item for item in items if isinstance(item, Frame) and item.order > after]
        fresh = _through_terminal(frames)
        if fresh:
            yield fresh
            after = fresh[-1].order
        if any(item is RESYNC for item in items):
            return


def _through_terminal(frames: list[Frame]) -> list[Frame]:
    """The frames up to and including the first terminal one."""
    for index, frame in enumerate(frames):
        if frame.terminal:
            return frames[: index + 1]
    return frames


async def _sse_bytes(batches: AsyncIterator[list[Frame]]) -> AsyncIterator[bytes]:
    SSE_STREAMS.inc()
    try:
        async for batch in batches:
            yield b"".join(frame.wire for frame in batch)
    except ClientTooSlow:
        return  # closing the response makes the client reconnect with Last-Event-ID
    finally:
        SSE_STREAMS.dec()


def sse_response(
    hub: StreamHub,
    redis: Redis,
    job_id: str,
    after_id: str,
    ping_seconds: float,
    slot: tuple[StreamSlots, Slot] | None = None,
) -> EventSourceResponse:
    """The job's events as SSE; holding the session's stream `slot`, if given, while open."""
    body = _sse_bytes(job_events(hub, redis, job_id, after_id))
    if slot is not None:
        slots, held = slot
        body = slots.holding(held, body)
    return EventSourceResponse(body, ping=ping_seconds)
