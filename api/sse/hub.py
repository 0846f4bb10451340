"""One Redis pub/sub connection per API process carries the live events of every relayed job.

Every batch of appended events is also published on the channel named like its stream
(`shared.events.APPEND_EVENTS_LUA`). The hub subscribes to a job's channel while at least one
client follows it, so Redis pushes each event once to each API process that relays the job,
and nothing is read for streams that are quiet. Each event becomes one `Frame`, its SSE bytes
built once for every client of the stream.

A subscriber replays the stream from its own position once its channel is confirmed, so the
hand-over from replay to live has no gap (docs/events.md). Pub/sub does not keep what was
published while the connection was down: after a reconnection every subscriber is told to
replay again from its last event. Each subscriber gets a bounded queue; one that falls behind
is cut off (it resumes with Last-Event-ID).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.events import TERMINAL_EVENTS, StreamEvent, parse_live_copies, stream_id_key, stream_key

log = logging.getLogger(__name__)

RECONNECT_DELAY_SECONDS = 0.5
# Channels nobody follows any more are unsubscribed together, this long after the first of them
# is let go: one UNSUBSCRIBE for every stream that ended meanwhile, instead of one per stream.
UNSUBSCRIBE_DELAY_SECONDS = 0.05
# Keeps the pub/sub connection subscribed, and so readable, while no job is followed.
IDLE_CHANNEL = "izana:relay:idle"
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
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
    event: str
    data: str  # one line of JSON
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
            event,
            data,
            event in TERMINAL_EVENTS,
            sse_frame(entry_id, event, data),
        )


class Resync:
    """Queued for every subscriber after a reconnection: events may have been missed."""


RESYNC: Final = Resync()


@dataclass(eq=False)
class Subscription:
    job_id: str
    queue: asyncio.Queue[Frame | Resync]
    overflowed: bool = field(default=False)

    def deliver(self, item: Frame | Resync) -> bool:
        """Queue the item; False (and marked overflowed) when the client has fallen behind."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True


@dataclass(eq=False)
class _Channel:
    """A followed job's channel: its subscribers, and whether Redis has confirmed it."""

    subscriptions: set[Subscription]
    confirmed: asyncio.Future[None]


class StreamHub:
    def __init__(self, redis: Redis, queue_size: int) -> None:
        self._queue_size = queue_size
        self._pubsub: PubSub = redis.pubsub()
        self._channels: dict[str, _Channel] = {}
        # Subscriptions are sent by whoever follows a channel only while connected; the
        # reconnection sends all of them. (Sending while the reader reconnects would open a
        # second connection that nobody reads.)
        self._connected = False
        self._task: asyncio.Task[None] | None = None
        self._leaving: set[str] = set()  # channels to unsubscribe at the next batch
        self._unsubscribing: asyncio.Task[None] | None = None

    @property
    def followed_streams(self) -> int:
        return sum(1 for channel in self._channels.values() if channel.subscriptions)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sse-stream-hub")

    async def stop(self) -> None:
        for task in (self._task, self._unsubscribing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._disconnect()

    async def subscribe(self, job_id: str) -> Subscription:
        """Follow the job; returns once Redis pushes its events to this process."""
        subscription = Subscription(job_id, asyncio.Queue(self._queue_size))
        name = stream_key(job_id)
        self._leaving.discard(name)  # followed again before its unsubscribe was sent
        channel = self._channels.get(name)
        if channel is None:
            channel = _Channel(set(), asyncio.get_running_loop().create_future())
            self._channels[name] = channel
            if self._connected:
                with contextlib.suppress(*REDIS_ERRORS):  # else the reconnection sends it
                    await self._pubsub.subscribe(name)
        channel.subscriptions.add(subscription)
        try:
            await asyncio.shield(channel.confirmed)
        except BaseException:
            self.unsubscribe(subscription)
            raise
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        name = stream_key(subscription.job_id)
        channel = self._channels.get(name)
        if channel is None:
            return
        channel.subscriptions.discard(subscription)
        # An unconfirmed channel is dropped on its confirmation, so that a late confirmation
        # can never be taken for that of a later subscription to the same channel.
        if not channel.subscriptions and channel.confirmed.done():
            self._drop(name)

    def _drop(self, name: str) -> None:
        del self._channels[name]
        if self._connected:
            self._leaving.add(name)
            if self._unsubscribing is None:
                self._unsubscribing = asyncio.create_task(self._unsubscribe_batches())

    async def _unsubscribe_batches(self) -> None:
        """While channels are being let go: after a short wait, unsubscribe every channel let
        go meanwhile and not followed again (a reconnection subscribes the followed ones only)."""
        try:
            while self._leaving:
                await asyncio.sleep(UNSUBSCRIBE_DELAY_SECONDS)
                leaving, self._leaving = self._leaving, set()
                if leaving and self._connected:
                    await self._unsubscribe(leaving)
        finally:
            self._unsubscribing = None

    async def _unsubscribe(self, channels: set[str]) -> None:
        try:
            await self._pubsub.unsubscribe(*channels)
        except REDIS_ERRORS:
            log.warning("stream hub could not unsubscribe", exc_info=True)

    async def _disconnect(self) -> None:
        with contextlib.suppress(*REDIS_ERRORS):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _run(self) -> None:
        while True:
            try:
                await self._pubsub.connect()  # type: ignore[no-untyped-call]
                self._connected = True
                await self._pubsub.subscribe(IDLE_CHANNEL, *self._channels)
                await self._listen()
            except REDIS_ERRORS:
                log.warning("stream hub lost redis; reconnecting")
                self._connected = False
                await self._disconnect()
                await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def _listen(self) -> None:
        while True:
            message = await self._pubsub.get_message(timeout=None)
            if message is None:
                continue
            channel = self._channels.get(message["channel"])
            if channel is None:
                continue  # nobody follows it any more
            if message["type"] == "message":
                self._dispatch(channel, message["data"])
            elif message["type"] == "subscribe":
                self._confirm(message["channel"], channel)

    def _confirm(self, name: str, channel: _Channel) -> None:
        """Redis now pushes the channel's events: its subscribers may replay. A channel is
        subscribed once per connection, so a second confirmation comes after a reconnection:
        its subscribers must then replay from their last event."""
        if channel.confirmed.done():
            for subscription in list(channel.subscriptions):
                self._deliver(subscription, RESYNC)
        else:
            channel.confirmed.set_result(None)
        if not channel.subscriptions:
            self._drop(name)

    def _dispatch(self, channel: _Channel, payload: str) -> None:
        frames = [Frame.from_entry(*copy) for copy in parse_live_copies(payload)]
        for subscription in list(channel.subscriptions):
            for frame in frames:
                self._deliver(subscription, frame)

    def _deliver(self, subscription: Subscription, item: Frame | Resync) -> None:
        if not subscription.deliver(item):
            self.unsubscribe(subscription)
