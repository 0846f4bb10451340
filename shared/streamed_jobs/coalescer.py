"""Coalesces streamed tokens into at most one `token` event per interval (docs/events.md,
"Token coalescing")."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from shared.events import EventPublisher, EventType, StatusChange


class TokenCoalescer:
    """Buffers token text; the first token goes out at once, later ones at most every interval.

    Any other event flushes the buffer first, so the stream's order matches the answer's.
    """

    def __init__(
        self,
        publisher: EventPublisher,
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publisher = publisher
        self._interval = interval_seconds
        self._clock = clock
        self._buffer: list[str] = []
        self._last_flush = float("-inf")
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_failure: Exception | None = None

    async def add(self, text: str) -> None:
        self._raise_timer_failure()
        self._buffer.append(text)
        wait = self._interval - (self._clock() - self._last_flush)
        if wait <= 0:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_after(wait))

    async def flush(self) -> None:
        async with self._lock:
            if not self._buffer:
                return
            text = "".join(self._buffer)
            self._buffer.clear()
            self._last_flush = self._clock()
            await self._publisher.publish(EventType.TOKEN, {"text": text})

    async def publish(
        self,
        event: EventType,
        data: BaseModel | list[Any] | dict[str, Any],
        change: StatusChange | None = None,
    ) -> str | None:
        self._raise_timer_failure()
        await self.flush()
        async with self._lock:
            return await self._publisher.publish(event, data, change)

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None
        await self.flush()

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._timer = None
        try:
            await self.flush()
        except Exception as error:  # raised to the writer's next call instead of being lost
            self._timer_failure = error

    def _raise_timer_failure(self) -> None:
        failure, self._timer_failure = self._timer_failure, None
        if failure is not None:
            raise failure
