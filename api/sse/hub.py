"""One reader task per API process that multiplexes XREAD over every followed job stream.

Each entry read becomes one `Frame`, its SSE bytes built once for every client of the stream.
Each subscriber gets a bounded queue; one that falls behind is cut off (it resumes with
Last-Event-ID). A new stream starts being followed from its current last id, and subscribers
replay what came before that themselves, so the hand-over has no gap (DESIGN.md §5).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import KeyT, StreamIdT

from shared.events import TERMINAL_EVENTS, StreamEvent, last_entry_id, stream_id_key, stream_key

log = logging.getLogger(__name__)

WAKE_TTL_SECONDS = 3600
RECONNECT_DELAY_SECONDS = 0.5
# Every XREAD names every followed stream: spacing reads by 10 µs per stream (at most 10 ms)
# bounds that work to about 100,000 streams named per second, whatever the event rate.
READ_SPACING_PER_STREAM_SECONDS = 0.00001
MAX_READ_SPACING_SECONDS = 0.01
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sse_frame(entry_id: str, event: str, data: str) -> bytes:
    """The event's SSE frame: `id`, `event`, a `data` line per line of data, CRLF line ends."""
    if "\n" in data or "\r" in data:  # stored data is one line of JSON; never sent broken
        data = "\r\ndata: ".join(_LINE_BREAK.split(data))
    return f"id: {entry_id}\r\nevent: {event}\r\ndata: {data}\r\n\r\n".encode()


@dataclass(frozen=True, slots=True)
class Frame:
    """One event as the relay sends it."""

    id: str
    order: tuple[int, int]  # the id as numbers, for comparing ids
    terminal: bool
    wire: bytes

    @classmethod
    def of(cls, event: StreamEvent) -> Frame:
        return cls.from_entry(event.id, event.type.value, event.data)

    @classmethod
    def from_entry(cls, entry_id: str, event: str, data: str) -> Frame:
        return cls(
            entry_id,
            stream_id_key(entry_id),
            event in TERMINAL_EVENTS,
            sse_frame(entry_id, event, data),
        )


@dataclass(eq=False)
class Subscription:
    job_id: str
    queue: asyncio.Queue[Frame]
    overflowed: bool = field(default=False)

    def deliver(self, frame: Frame) -> bool:
        """Queue the frame; False (and marked overflowed) when the client has fallen behind."""
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True


class StreamHub:
    def __init__(
        self, redis: Redis, queue_size: int, block_ms: int = 5000, batch_size: int = 500
    ) -> None:
        self._redis = redis
        self._reader: Redis = redis.client()
        self._queue_size = queue_size
        self._block_ms = block_ms
        self._batch_size = batch_size
        self._wake_key = f"relay:wake:{uuid.uuid4().hex}"
        self._cursors: dict[str, str] = {self._wake_key: "0-0"}
        self._subscribers: dict[str, set[Subscription]] = {}
        # A wake entry was added since the reader last issued XREAD: later newcomers need none.
        self._wake_pending = False
        self._task: asyncio.Task[None] | None = None

    @property
    def followed_streams(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sse-stream-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._reader.aclose()
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
            await self._redis.delete(self._wake_key)

    async def subscribe(self, job_id: str) -> Subscription:
        key = stream_key(job_id)
        subscription = Subscription(job_id, asyncio.Queue(self._queue_size))
        if key in self._cursors:
            self._subscribers[key].add(subscription)
            return subscription
        last_id = await last_entry_id(self._redis, job_id)
        self._cursors.setdefault(key, last_id)
        self._subscribers.setdefault(key, set()).add(subscription)
        await self._interrupt_read()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        key = stream_key(subscription.job_id)
        followers = self._subscribers.get(key)
        if followers is None:
            return
        followers.discard(subscription)
        if not followers:
            del self._subscribers[key]
            del self._cursors[key]

    async def _interrupt_read(self) -> None:
        """Wake the blocking XREAD so it includes the newly followed stream; one wake entry
        serves every stream followed before the reader issues its next XREAD."""
        if self._wake_pending:
            return
        self._wake_pending = True
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self._wake_key, {"follow": "1"}, maxlen=10, approximate=False)
            pipe.expire(self._wake_key, WAKE_TTL_SECONDS)
            await pipe.execute()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._read_spacing())
            self._wake_pending = False
            cursors = cast(dict[KeyT, StreamIdT], dict(self._cursors))
            try:
                batches = await self._reader.xread(
                    cursors, count=self._batch_size, block=self._block_ms
                )
            except (RedisConnectionError, RedisTimeoutError, OSError):
                log.warning("stream hub lost redis; reconnecting")
                await asyncio.sleep(RECONNECT_DELAY_SECONDS)
                continue
            for key, entries in batches or []:
                self._dispatch(key, entries)

    def _read_spacing(self) -> float:
        return min(MAX_READ_SPACING_SECONDS, len(self._cursors) * READ_SPACING_PER_STREAM_SECONDS)

    def _dispatch(self, key: str, entries: list[tuple[str, dict[str, str]]]) -> None:
        if key not in self._cursors:
            return  # nobody follows it any more
        self._cursors[key] = entries[-1][0]
        if key == self._wake_key:
            return
        for entry_id, fields in entries:
            frame = Frame.from_entry(entry_id, fields["event"], fields["data"])
            for subscription in list(self._subscribers.get(key, ())):
                if not subscription.deliver(frame):
                    self.unsubscribe(subscription)
