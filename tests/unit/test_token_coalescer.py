import asyncio
from typing import Any

import pytest

from shared.events import EventType
from shared.streamed_jobs.coalescer import TokenCoalescer

pytestmark = pytest.mark.unit


class RecordingPublisher:
    """Stands in for the Redis stream: records what the coalescer publishes, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[EventType, Any]] = []
        self.failure: Exception | None = None

    async def publish(self, event: EventType, data: Any, change: object = None) -> str:
        if self.failure is not None:
            raise self.failure
        self.events.append((event, data))
        return f"{len(self.events)}-0"


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def coalescer(interval: float) -> tuple[TokenCoalescer, RecordingPublisher, ManualClock]:
    publisher, clock = RecordingPublisher(), ManualClock()
    return TokenCoalescer(publisher, interval, clock), publisher, clock  # type: ignore[arg-type]


async def test_first_token_is_published_at_once() -> None:
    events, publisher, _ = coalescer(0.05)
    await events.add("Hello")
    assert publisher.events == [(EventType.TOKEN, {"text": "Hello"})]
    await events.aclose()


async def test_tokens_within_the_interval_are_merged() -> None:
    events, publisher, clock = coalescer(0.05)
    await events.add("A")
    for text in ("b", "c", "d"):
        clock.now += 0.01
        await events.add(text)
    assert len(publisher.events) == 1
    clock.now += 0.05
    await events.add("e")
    assert publisher.events[1] == (EventType.TOKEN, {"text": "bcde"})
    await events.aclose()


async def test_other_events_flush_pending_tokens_first() -> None:
    events, publisher, clock = coalescer(10.0)
    await events.add("first ")
    clock.now += 0.001
    await events.add("second")
    await events.publish(EventType.CITATIONS, [])
    assert publisher.events == [
        (EventType.TOKEN, {"text": "first "}),
        (EventType.TOKEN, {"text": "second"}),
        (EventType.CITATIONS, []),
    ]
    await events.aclose()


async def test_buffered_tokens_flush_after_the_interval_without_more_input() -> None:
    publisher = RecordingPublisher()
    events = TokenCoalescer(publisher, 0.02)  # type: ignore[arg-type]
    await events.add("x")
    await events.add("y")
    assert len(publisher.events) == 1
    await asyncio.sleep(0.1)
    assert publisher.events[1] == (EventType.TOKEN, {"text": "y"})
    await events.aclose()


async def test_aclose_flushes_the_rest() -> None:
    events, publisher, clock = coalescer(10.0)
    await events.add("a")
    clock.now += 0.001
    await events.add("b")
    await events.aclose()
    assert "".join(data["text"] for _, data in publisher.events) == "ab"


async def test_a_failed_timed_flush_is_raised_to_the_next_writer() -> None:
    publisher = RecordingPublisher()
    events = TokenCoalescer(publisher, 0.02)  # type: ignore[arg-type]
    await events.add("x")
    await events.add("y")  # buffered: the timer flushes it
    publisher.failure = ConnectionError("redis went away")
    await asyncio.sleep(0.1)
    publisher.failure = None
    with pytest.raises(ConnectionError):
        await events.add("z")
    await events.add("z")  # raised once, then writing goes on
    assert publisher.events[-1] == (EventType.TOKEN, {"text": "z"})
    await events.aclose()
