"""The light processes of `scripts/bench.py streams`: token producers and SSE load clients.

Both run on uvloop in processes of their own, so that what they cost is measured apart from the
relay they load. A producer writes a token to each of its streams every tick through the
worker's own `EventCoalescer`, `EventTicker` and `EventPublisher` script, the script calls going
to Redis as one pipelined write per tick. A client holds raw HTTP/1.1 connections and notes, per
stream, when its first event arrived and the gaps between events, without parsing more than it
counts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast
from urllib.parse import urlsplit

import hiredis
import uvloop
from redis.asyncio import Redis

from shared.coalescing import PUBLISH_SHA, EventCoalescer, EventTicker, Writes
from shared.events import PUBLISH_SCRIPT, EventPublisher, EventType, NewEvent, StatusChange

TOKEN = "tok "
READ_SIZE = 65536


# --- producers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProducerPlan:
    redis_url: str
    job_ids: list[str]
    token_interval_seconds: float
    flush_interval_seconds: float
    max_len: int
    ttl_seconds: int


def _resp(parts: list[bytes]) -> bytes:
    encoded = [b"*%d\r\n" % len(parts)]
    for part in parts:
        encoded += (b"$%d\r\n" % len(part), part, b"\r\n")
    return b"".join(encoded)


def _as_bytes(value: str | int) -> bytes:
    return value.encode() if isinstance(value, str) else b"%d" % value


@dataclass
class CommandBatch:
    """Redis commands queued during one tick, sent in one write."""

    buffer: bytearray = field(default_factory=bytearray)
    queued: int = 0

    def add(self, *parts: str | int) -> None:
        self.buffer += _resp([_as_bytes(part) for part in parts])
        self.queued += 1

    def take(self) -> tuple[bytes, int]:
        taken, count = bytes(self.buffer), self.queued
        self.buffer.clear()
        self.queued = 0
        return taken, count


class PipelinedPublisher(EventPublisher):
    """The worker's publisher, its script call queued for the producer's next pipelined write."""

    def __init__(self, batch: CommandBatch, job_id: str, max_len: int, ttl_seconds: int) -> None:
        super().__init__(Redis(), job_id, max_len, ttl_seconds)  # never connects: no I/O
        self._batch = batch

    async def publish_all(
        self, events: Sequence[NewEvent], change: StatusChange | None = None
    ) -> str | None:
        keys, args = self.script_call(events, change)
        self._batch.add("EVALSHA", PUBLISH_SHA, len(keys), *keys, *args)
        return None  # the entry id comes back with the batch's replies


class PipelinedTicker(EventTicker):
    """The worker's ticker, its script calls queued for the producer's next pipelined write
    (the producer counts the replies instead of matching them)."""

    def __init__(self, batch: CommandBatch, interval_seconds: float) -> None:
        super().__init__(Redis(), interval_seconds)  # never connects: no I/O
        self._batch = batch

    async def _send(self, writes: Writes) -> list[object]:
        for coalescer, events in writes:
            keys, args = coalescer.publisher.script_call(events)
            self._batch.add("EVALSHA", PUBLISH_SHA, len(keys), *keys, *args)
        return [None] * len(writes)


async def open_redis(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return await asyncio.open_unix_connection(parts.path)
    return await asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 6379)


@dataclass
class ReplyCounter:
    replies: int = 0
    errors: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self, reader: asyncio.StreamReader) -> None:
        parser = hiredis.Reader()
        while data := await reader.read(READ_SIZE):
            parser.feed(data)
            while (reply := parser.gets()) is not False:
                self.replies += 1
                if isinstance(reply, hiredis.ReplyError):
                    self.errors += 1
            self.arrived.set()

    async def wait_for(self, count: int) -> None:
        while self.replies < count:
            self.arrived.clear()
            await self.arrived.wait()


@dataclass
class Producer:
    plan: ProducerPlan
    batch: CommandBatch = field(default_factory=CommandBatch)
    sent: int = 0
    lateness_ms: list[float] = field(default_factory=list)

    def coalescers(self, ticker: EventTicker) -> list[EventCoalescer]:
        return [
            EventCoalescer(
                PipelinedPublisher(self.batch, job_id, self.plan.max_len, self.plan.ttl_seconds),
                ticker,
            )
            for job_id in self.plan.job_ids
        ]

    def send(self, writer: asyncio.StreamWriter) -> None:
        data, count = self.batch.take()
        if count:
            writer.write(data)
            self.sent += count

    async def run(self, control: Connection) -> dict[str, Any]:
        reader, writer = await open_redis(self.plan.redis_url)
        writer.write(_resp([b"SCRIPT", b"LOAD", PUBLISH_SCRIPT.encode()]))
        self.sent = 1
        counter = ReplyCounter()
        reading = asyncio.create_task(counter.read(reader))
        ticker = PipelinedTicker(self.batch, self.plan.flush_interval_seconds)
        coalescers = self.coalescers(ticker)
        started = time.process_time()
        await self._tick_until_stopped(coalescers, writer, control)
        for coalescer in coalescers:
            await coalescer.end(EventType.DONE, {"answer": "benchmark"})
            await coalescer.aclose()
        await ticker.aclose()
        self.send(writer)
        await counter.wait_for(self.sent)
        reading.cancel()
        writer.close()
        return {
            "commands": self.sent - 1,
            "errors": counter.errors,
            "cpu_seconds": time.process_time() - started,
            "lateness_ms": self.lateness_ms,
        }

    async def _tick_until_stopped(
        self, coalescers: list[EventCoalescer], writer: asyncio.StreamWriter, control: Connection
    ) -> None:
        interval = self.plan.token_interval_seconds
        due = time.monotonic()
        while not control.poll():
            self.lateness_ms.append((time.monotonic() - due) * 1000)
            for coalescer in coalescers:
                await coalescer.add_token(TOKEN)
            self.send(writer)
            due += interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.send(writer)  # what the ticker wrote meanwhile
        control.recv()


def producer_main(plan: ProducerPlan, control: Connection) -> None:
    """Produce until the parent sends anything, then end every stream with `done` and report."""
    control.send(uvloop.run(Producer(plan).run(control)))


# --- clients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPlan:
    host: str
    port: int
    paths: list[str]
    connects_per_second: float
    open_timeout_seconds: float


@dataclass
class StreamState:
    connect_started: float
    first_event_ms: float | None = None
    last_event_at: float = 0.0
    ended: bool = False
    failed: str | None = None


@dataclass
class Recorder:
    """What the client process saw; gaps and events only while a measurement window is open."""

    measuring: bool = False
    gaps_ms: list[float] = field(default_factory=list)
    events: int = 0
    streams: list[StreamState] = field(default_factory=list)

    def first_events_ms(self) -> list[float]:
        return [s.first_event_ms for s in self.streams if s.first_event_ms is not None]

    def failures(self) -> dict[str, int]:
        failed: dict[str, int] = {}
        for stream in self.streams:
            if stream.failed is not None:
                failed[stream.failed] = failed.get(stream.failed, 0) + 1
        return failed

    def settled(self) -> int:
        return sum(1 for s in self.streams if s.first_event_ms is not None or s.failed)


class EventStreamClient(asyncio.Protocol):
    """One SSE connection; counts `id:` lines (every event has one, pings do not)."""

    def __init__(self, request: bytes, state: StreamState, recorder: Recorder) -> None:
        self._request = request
        self._state = state
        self._recorder = recorder
        self._head = b""
        self._tail = b""
        self._in_body = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self._in_body:
            data = self._headers(data)
            if not data:
                return
        window = self._tail + data
        events = window.count(b"id: ") - self._tail.count(b"id: ")
        ended = window.count(b"event: done") > self._tail.count(b"event: done")
        self._tail = window[-16:]
        if events:
            self._events(events, now)
        if ended:
            self._state.ended = True
            self.close()

    def _headers(self, data: bytes) -> bytes:
        """The body part of `data` once the response head is complete."""
        self._head += data
        head, separator, body = self._head.partition(b"\r\n\r\n")
        if not separator:
            return b""
        self._in_body = True
        if not head.startswith(b"HTTP/1.1 200"):
            self._state.failed = head.split(b"\r\n", 1)[0].decode(errors="replace")
            self.close()
            return b""
        return body

    def _events(self, count: int, now: float) -> None:
        state, recorder = self._state, self._recorder
        if state.first_event_ms is None:
            state.first_event_ms = (now - state.connect_started) * 1000
        elif recorder.measuring:
            recorder.gaps_ms.append((now - state.last_event_at) * 1000)
            recorder.gaps_ms.extend([0.0] * (count - 1))
            recorder.events += count
        state.last_event_at = now

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._state.ended and self._state.failed is None:
            self._state.failed = "closed before done"

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class LoadClient:
    plan: ClientPlan
    recorder: Recorder = field(default_factory=Recorder)
    connections: list[EventStreamClient] = field(default_factory=list)

    def request(self, path: str) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: {self.plan.host}:{self.plan.port}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()

    async def connect(self, path: str, delay: float) -> None:
        await asyncio.sleep(delay)
        state = StreamState(time.perf_counter())
        self.recorder.streams.append(state)
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(
                lambda: EventStreamClient(self.request(path), state, self.recorder),
                self.plan.host,
                self.plan.port,
            )
        except OSError as error:
            state.failed = type(error).__name__
            return
        self.connections.append(protocol)

    async def open_all(self) -> dict[str, Any]:
        """Connect at the planned rate; report once every stream had its first event or failed."""
        started = time.monotonic()
        rate = self.plan.connects_per_second
        await asyncio.gather(*(self.connect(p, i / rate) for i, p in enumerate(self.plan.paths)))
        await _poll_until(
            lambda: self.recorder.settled() == len(self.plan.paths),
            self.plan.open_timeout_seconds,
        )
        return {
            "open_seconds": round(time.monotonic() - started, 2),
            "first_event_ms": self.recorder.first_events_ms(),
            "failures": self.recorder.failures(),
        }

    async def until_ended(self, timeout_seconds: float) -> None:
        streams = self.recorder.streams
        await _poll_until(lambda: all(s.ended or s.failed for s in streams), timeout_seconds)
        for connection in self.connections:
            connection.close()

    async def run(self, control: Connection) -> None:
        control.send(await self.open_all())
        await _command(control)  # start measuring
        started = time.process_time()
        self.recorder.measuring = True
        await _command(control)  # stop measuring
        self.recorder.measuring = False
        control.send(
            {
                "gaps_ms": self.recorder.gaps_ms,
                "events": self.recorder.events,
                "cpu_seconds": time.process_time() - started,
                "failures": self.recorder.failures(),
            }
        )
        await self.until_ended(float(await _command(control)))
        control.send({"failures": self.recorder.failures()})


async def _poll_until(condition: Callable[[], bool], timeout_seconds: float) -> None:
    """Check `condition` (a count over the streams) 20 times a second until true or timed out."""
    deadline = time.monotonic() + timeout_seconds
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110 - state, not an event
        await asyncio.sleep(0.05)


async def _command(control: Connection) -> Any:
    """The parent's next message, received on a thread: the pipe must stay blocking, as
    `send` of a large report fails on a non-blocking one."""
    return await asyncio.to_thread(control.recv)


def client_main(plan: ClientPlan, control: Connection) -> None:
    uvloop.run(LoadClient(plan).run(control))
