"""Event coalescing (docs/events.md): each job buffers its events, and a ticker writes what
every job of the process buffered once per interval, in one round trip.

Each job's events still go through its own PUBLISH_SCRIPT call, fenced by its attempt; a tick
only sends the calls together, pipelined. A round trip costs Redis several times the work of
appending a few events, so one per tick instead of one per job and event is what keeps Redis's
CPU per chat low while many answers stream at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from shared.events import PUBLISH_SCRIPT, EventPublisher, EventType, NewEvent, StatusChange

PUBLISH_SHA = hashlib.sha1(PUBLISH_SCRIPT.encode()).hexdigest()


class EventCoalescer:
    """A job's events, buffered until the process's next tick; consecutive tokens are merged
    into one `token` event. The answer's first token (and the first after a `reset`) and the
    terminal event do not wait: each is written at once with whatever was buffered before it,
    in the stream's order. With no ticker, every event is written at once."""

    def __init__(self, publisher: EventPublisher, ticker: EventTicker | None) -> None:
        self.publisher = publisher
        self._ticker = ticker
        self._pending: list[NewEvent] = []
        self._tokens: list[str] = []  # the text of the token event after `_pending`
        self._awaiting_first_token = True
        # Held while this job's events are being written, by the job or by a tick, so that
        # writes reach the stream in order.
        self.writing = asyncio.Lock()
        self._tick_failure: Exception | None = None

    async def add_token(self, text: str) -> None:
        self._raise_tick_failure()
        self._tokens.append(text)
        first, self._awaiting_first_token = self._awaiting_first_token, False
        await self._write_or_schedule(at_once=first)

    async def add(self, event: EventType, data: BaseModel | list[Any] | dict[str, Any]) -> None:
        """Buffer a non-terminal event."""
        self._raise_tick_failure()
        self._close_tokens()
        self._pending.append(NewEvent.of(event, data))
        if event is EventType.RESET:
            self._awaiting_first_token = True
        await self._write_or_schedule(at_once=False)

    async def end(
        self,
        event: EventType,
        data: BaseModel | list[Any] | dict[str, Any],
        change: StatusChange | None = None,
    ) -> str | None:
        """Write what is buffered and the terminal `event` at once, in one step with `change`:
        the terminal entry's id, or None when nothing was written (see
        `EventPublisher.publish_all`)."""
        self._raise_tick_failure()
        async with self.writing:
            events = [*self.take(), NewEvent.of(event, data)]
            return await self.publisher.publish_all(events, change)

    async def flush(self) -> None:
        async with self.writing:
            events = self.take()
            if events:
                await self.publisher.publish_all(events)

    async def aclose(self) -> None:
        if self._ticker is not None:
            self._ticker.forget(self)
        await self.flush()

    def take(self) -> list[NewEvent]:
        """What is buffered, now no longer; the caller holds `writing` and writes it."""
        self._close_tokens()
        events, self._pending = self._pending, []
        return events

    def tick_failed(self, error: Exception) -> None:
        """A tick could not write this job's events: raised to the job's next call."""
        self._tick_failure = error

    async def _write_or_schedule(self, at_once: bool) -> None:
        if at_once or self._ticker is None:
            await self.flush()
        else:
            self._ticker.schedule(self)

    def _close_tokens(self) -> None:
        if self._tokens:
            self._pending.append(NewEvent.of(EventType.TOKEN, {"text": "".join(self._tokens)}))
            self._tokens.clear()

    def _raise_tick_failure(self) -> None:
        failure, self._tick_failure = self._tick_failure, None
        if failure is not None:
            raise failure


Writes = list[tuple[EventCoalescer, list[NewEvent]]]


class EventTicker:
    """Writes the events of the coalescers scheduled on it every interval, while any is."""

    def __init__(self, redis: Redis, interval_seconds: float) -> None:
        self._redis = redis
        self._interval = interval_seconds
        self._due: dict[EventCoalescer, None] = {}  # an ordered set
        self._task: asyncio.Task[None] | None = None

    def schedule(self, coalescer: EventCoalescer) -> None:
        self._due[coalescer] = None
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-ticker")

    def forget(self, coalescer: EventCoalescer) -> None:
        self._due.pop(coalescer, None)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> None:
        """Write what every scheduled job buffered; one whose own write is under way waits for
        the next tick."""
        due, self._due = self._due, {}
        writes: Writes = []
        for coalescer in due:
            if coalescer.writing.locked():
                self._due[coalescer] = None
                continue
            await coalescer.writing.acquire()
            writes.append((coalescer, coalescer.take()))
        try:
            await self._write([(coalescer, events) for coalescer, events in writes if events])
        finally:
            for coalescer, _ in writes:
                coalescer.writing.release()

    async def _run(self) -> None:
        try:
            while self._due:
                await asyncio.sleep(self._interval)
                await self.tick()
        finally:
            self._task = None

    async def _write(self, writes: Writes) -> None:
        if not writes:
            return
        try:
            replies = await self._send(writes)
            if any(_no_script(reply) for reply in replies):  # a new or restarted Redis
                await self._redis.script_load(PUBLISH_SCRIPT)
                pairs = zip(writes, replies, strict=True)
                unloaded = [write for write, reply in pairs if _no_script(reply)]
                retried = iter(await self._send(unloaded))
                replies = [next(retried) if _no_script(reply) else reply for reply in replies]
        except Exception as error:  # each job learns of it on its next call, as a failed write
            replies = [error] * len(writes)
        for (coalescer, _), reply in zip(writes, replies, strict=True):
            _deliver(coalescer, reply)

    async def _send(self, writes: Writes) -> list[object]:
        pipeline = self._redis.pipeline(transaction=False)
        for coalescer, events in writes:
            keys, args = coalescer.publisher.script_call(events)
            pipeline.evalsha(PUBLISH_SHA, len(keys), *keys, *args)
        replies: list[object] = await pipeline.execute(raise_on_error=False)
        return replies


def _no_script(reply: object) -> bool:
    return isinstance(reply, NoScriptError)


def _deliver(coalescer: EventCoalescer, reply: object) -> None:
    if isinstance(reply, Exception):
        coalescer.tick_failed(reply)
        return
    try:
        coalescer.publisher.outcome(reply)
    except Exception as error:  # the attempt was superseded
        coalescer.tick_failed(error)
