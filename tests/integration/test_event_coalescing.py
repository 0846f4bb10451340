"""Event coalescing on real Redis: what waits for the process's tick, what is written at once,
and how several jobs' events are written together in one tick."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.coalescing import EventCoalescer, EventTicker
from shared.events import AttemptSuperseded, EventType, StatusChange, read_after
from shared.jobs import JobRecord, JobStatus, new_job_id, now_ms
from shared.resources import Resources

pytestmark = pytest.mark.integration

# Long enough that only the test's own `tick()` calls write what waits for a tick.
MANUAL_TICKS = 3600.0


@pytest.fixture
async def ticker(resources: Resources) -> AsyncIterator[EventTicker]:
    ticker = EventTicker(resources.redis, MANUAL_TICKS)
    yield ticker
    await ticker.aclose()


async def running_job(resources: Resources) -> tuple[str, int]:
    job_id = new_job_id()
    record = JobRecord(
        job_id=job_id, name="chat.answer", status=JobStatus.QUEUED, session_id="s",
        conversation_id="c", created_at_ms=now_ms(),
    )  # fmt: skip
    await resources.jobs.create(record)
    return job_id, await resources.jobs.start_attempt(job_id)


async def job_events(resources: Resources, ticker: EventTicker) -> tuple[str, EventCoalescer]:
    job_id, attempt = await running_job(resources)
    return job_id, EventCoalescer(resources.job_events(job_id, attempt), ticker)


async def job_with_a_status(
    resources: Resources, ticker: EventTicker
) -> tuple[str, EventCoalescer]:
    """A running job's events with a `retrieving` status buffered for the next tick."""
    job_id, events = await job_events(resources, ticker)
    await events.add(EventType.STATUS, {"stage": "retrieving"})
    return job_id, events


async def stored(resources: Resources, job_id: str) -> list[tuple[str, Any]]:
    events = await read_after(resources.redis, job_id, "0-0", count=100)
    return [(event.type.value, event.payload()) for event in events]


def stage(name: str) -> tuple[str, dict[str, str]]:
    return "status", {"stage": name}


def token(text: str) -> tuple[str, dict[str, str]]:
    return "token", {"text": text}


async def test_events_wait_for_the_tick_and_tokens_are_merged(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_with_a_status(resources, ticker)
    assert await stored(resources, job_id) == []
    await events.add(EventType.STATUS, {"stage": "generating"})
    await events.add_token("The first ")  # the answer's first token does not wait
    assert await stored(resources, job_id) == [
        stage("retrieving"), stage("generating"), token("The first ")
    ]  # fmt: skip
    for text in ("chunk ", "and ", "more"):
        await events.add_token(text)
    await events.add(EventType.CITATIONS, [])
    await ticker.tick()
    assert (await stored(resources, job_id))[3:] == [token("chunk and more"), ("citations", [])]


async def test_one_tick_writes_every_job_s_events(
    resources: Resources, ticker: EventTicker
) -> None:
    jobs = [await job_events(resources, ticker) for _ in range(5)]
    for index, (_, events) in enumerate(jobs):
        await events.add(EventType.STATUS, {"stage": f"stage {index}"})
    await ticker.tick()
    for index, (job_id, _) in enumerate(jobs):
        assert await stored(resources, job_id) == [stage(f"stage {index}")]


async def test_the_first_token_after_a_reset_does_not_wait(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_events(resources, ticker)
    await events.add_token("draft")
    await events.add_token(" text")
    await events.add(EventType.RESET, {"reason": "revised"})
    await events.add_token("final")
    assert await stored(resources, job_id) == [
        token("draft"), token(" text"), ("reset", {"reason": "revised"}), token("final")
    ]  # fmt: skip


async def test_the_terminal_event_goes_at_once_with_its_status_change(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_events(resources, ticker)
    await events.add_token("a")
    await events.add_token("b")
    change = StatusChange(JobStatus.COMPLETE, frozenset({JobStatus.IN_PROGRESS}), {})
    entry_id = await events.end(EventType.DONE, {"answer": "ab"}, change)
    written = await read_after(resources.redis, job_id, "0-0", count=10)
    assert entry_id == written[-1].id
    assert await stored(resources, job_id) == [token("a"), token("b"), ("done", {"answer": "ab"})]
    record = await resources.jobs.get(job_id)
    assert record is not None and record.status is JobStatus.COMPLETE


async def test_a_job_writing_on_its_own_is_left_to_the_next_tick(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_with_a_status(resources, ticker)
    async with events.writing:  # as during the job's own write
        await ticker.tick()
    assert await stored(resources, job_id) == []
    await ticker.tick()
    assert await stored(resources, job_id) == [stage("retrieving")]


async def test_a_superseded_attempt_learns_it_on_its_next_call(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_with_a_status(resources, ticker)
    await resources.jobs.start_attempt(job_id)  # another worker took the job over
    await ticker.tick()
    assert await stored(resources, job_id) == []
    with pytest.raises(AttemptSuperseded):
        await events.add_token("late")


async def test_a_tick_after_redis_lost_its_scripts_still_writes(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, _ = await job_with_a_status(resources, ticker)
    await resources.redis.script_flush()  # as after a restart
    await ticker.tick()
    assert await stored(resources, job_id) == [stage("retrieving")]


async def test_closing_writes_what_waits_without_a_tick(
    resources: Resources, ticker: EventTicker
) -> None:
    job_id, events = await job_events(resources, ticker)
    await events.add(EventType.SUGGESTIONS, ["next?"])
    await events.aclose()
    assert await stored(resources, job_id) == [("suggestions", ["next?"])]


async def test_the_ticker_writes_by_itself_every_interval(resources: Resources) -> None:
    ticker = EventTicker(resources.redis, 0.01)
    try:
        job_id, events = await job_events(resources, ticker)
        await events.add(EventType.STATUS, {"stage": "retrieving"})
        for _ in range(500):
            if await stored(resources, job_id):
                break
            await asyncio.sleep(0.01)
        assert await stored(resources, job_id) == [stage("retrieving")]
    finally:
        await ticker.aclose()
