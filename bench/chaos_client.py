"""The chaos benchmark's clients: each asks one question and follows its answer to the end,
as a careful browser would while servers die around it.

- `POST /v1/chat` is retried after `Retry-After` when refused (503, 429), and on the next API
  process when the connection fails; only a `202` makes the job *accepted*.
- The answer's SSE stream is followed through a preferred API process; when the connection
  drops, the client reconnects (to the next API process in its list) with `Last-Event-ID`, so
  the server sends only what it missed.

Every event is kept with the time it arrived, so that the benchmark can check the stream
(ids strictly increasing, the tokens after the last `reset` equal to `done.answer`) and
measure recovery from the moment of a fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from shared.events import EventType, StreamEvent, streamed_answer

RECONNECT_PAUSE_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 5.0
# A stream silent this long is treated as dropped (the API sends a ping every 15 s).
STREAM_READ_TIMEOUT_SECONDS = 30.0
RETRIED_STATUSES = frozenset({429, 503})


@dataclass
class Trace:
    """One question as its client saw it."""

    question: str
    job_id: str | None = None
    events_path: str | None = None
    accepted_at: float | None = None  # time.monotonic() of the 202
    refused: int = 0  # 503/429 answers to the POST, retried after Retry-After
    submit_failures: int = 0  # POSTs that failed at the connection, retried elsewhere
    error_statuses: int = 0  # other 5xx to the POST, any error status to the stream; retried
    events: list[StreamEvent] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)  # time.monotonic() per event
    arrived_through: list[int] = field(default_factory=list)  # the API process (index)
    connections: int = 0  # SSE connections opened: 1 + reconnections

    @property
    def ended(self) -> bool:
        return bool(self.events) and self.events[-1].is_terminal

    @property
    def done(self) -> dict[str, Any] | None:
        last = self.events[-1] if self.events else None
        return last.payload() if last is not None and last.type is EventType.DONE else None

    def in_flight_at(self, moment: float) -> bool:
        """Accepted before `moment` and not ended by then."""
        if self.accepted_at is None or self.accepted_at > moment:
            return False
        return not any(
            event.is_terminal and at <= moment
            for event, at in zip(self.events, self.arrived_at, strict=True)
        )

    def first_arrival_after(self, moment: float) -> float | None:
        return next((at for at in self.arrived_at if at > moment), None)

    def tokens_before(self, moment: float) -> int:
        return sum(
            1
            for event, at in zip(self.events, self.arrived_at, strict=True)
            if event.type is EventType.TOKEN and at <= moment
        )


def stream_id(value: str) -> tuple[int, int]:
    milliseconds, sequence = value.split("-")
    return int(milliseconds), int(sequence)


def ids_strictly_increase(events: Sequence[StreamEvent]) -> bool:
    ids = [stream_id(event.id) for event in events]
    return all(earlier < later for earlier, later in itertools.pairwise(ids))


def stream_intact(trace: Trace) -> bool:
    """No token missing or duplicated: the ids strictly increase across reconnections and the
    tokens after the last `reset` are exactly `done.answer`."""
    done = trace.done
    return (
        done is not None
        and ids_strictly_increase(trace.events)
        and streamed_answer(trace.events) == done["answer"]
    )


@dataclass(frozen=True)
class Client:
    """An HTTP client, the API processes' base URLs and a session's bearer header."""

    http: httpx.AsyncClient
    apis: list[str]
    auth: dict[str, str]

    async def ask(self, trace: Trace, deadline: float, stream_through: int = 0) -> None:
        """Submit the question, then follow its answer until it ended or the deadline."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                await self.submit(trace)
                await self.follow(trace, stream_through)

    async def submit(self, trace: Trace) -> None:
        api = 0
        while trace.job_id is None:
            try:
                response = await self.http.post(
                    f"{self.apis[api]}/v1/chat", json={"message": trace.question}, headers=self.auth
                )
            except httpx.TransportError:
                trace.submit_failures += 1
                api = (api + 1) % len(self.apis)
                await asyncio.sleep(RECONNECT_PAUSE_SECONDS)
                continue
            if response.status_code in RETRIED_STATUSES:
                trace.refused += 1
                await asyncio.sleep(retry_after(response))
                continue
            if response.is_server_error:
                trace.error_statuses += 1
                await asyncio.sleep(RECONNECT_PAUSE_SECONDS)
                continue
            response.raise_for_status()
            accepted = response.json()
            trace.job_id, trace.events_path = accepted["job_id"], accepted["events_url"]
            trace.accepted_at = time.monotonic()

    async def follow(self, trace: Trace, api: int) -> None:
        """Follow the stream through `apis[api]`; after a drop, resume on the next one."""
        while not trace.ended:
            try:
                await self._read_stream(trace, api)
            except (httpx.TransportError, SSEError):
                pass
            except httpx.HTTPStatusError:
                trace.error_statuses += 1
            if not trace.ended:
                api = (api + 1) % len(self.apis)
                await asyncio.sleep(RECONNECT_PAUSE_SECONDS)

    async def _read_stream(self, trace: Trace, api: int) -> None:
        headers = {"Last-Event-ID": trace.events[-1].id} if trace.events else {}
        url = f"{self.apis[api]}{trace.events_path}"
        trace.connections += 1
        async with aconnect_sse(self.http, "GET", url, headers=headers) as source:
            if source.response.status_code in RETRIED_STATUSES:
                await asyncio.sleep(retry_after(source.response))
                return
            source.response.raise_for_status()
            async for sse in source.aiter_sse():
                if not sse.data:  # httpx-sse yields a ping comment as an empty "message"
                    continue
                trace.events.append(StreamEvent(sse.id, EventType(sse.event), sse.data))
                trace.arrived_at.append(time.monotonic())
                trace.arrived_through.append(api)
                if trace.ended:
                    return


def retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", RECONNECT_PAUSE_SECONDS))
    except ValueError:
        seconds = RECONNECT_PAUSE_SECONDS
    return min(max(seconds, RECONNECT_PAUSE_SECONDS), MAX_RETRY_AFTER_SECONDS)


def http_client(connections: int) -> httpx.AsyncClient:
    timeout = httpx.Timeout(30.0, read=STREAM_READ_TIMEOUT_SECONDS)
    limits = httpx.Limits(max_connections=connections + 20, max_keepalive_connections=20)
    return httpx.AsyncClient(timeout=timeout, limits=limits)
