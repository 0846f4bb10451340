"""The event protocol on real Redis Streams, and the hub's replay-then-live hand-over."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.sse.hub import Frame, StreamHub
from api.sse.relay import ClientTooSlow, job_events
from shared.events import EventPublisher, EventType, NewEvent, read_after, stream_key
from shared.jobs import new_job_id
from shared.resources import Resources
from tests.integration.jobs import eventually

pytestmark = pytest.mark.integration


def publisher(resources: Resources, job_id: str, max_len: int = 10_000) -> EventPublisher:
    return EventPublisher(resources.redis, job_id, max_len=max_len, ttl_seconds=120)


async def produce(events: EventPublisher, count: int, pause: float) -> list[str]:
    ids = [await events.publish(EventType.TOKEN, {"text": f"t{i} "}) for i in range(count)]
    await asyncio.sleep(pause)
    ids.append(await events.publish(EventType.DONE, {"answer": "x"}))
    return ids


async def test_read_after_is_exclusive_and_ordered(resources: Resources) -> None:
    job_id = new_job_id()
    events = publisher(resources, job_id)
    ids = [await events.publish(EventType.TOKEN, {"text": str(i)}) for i in range(5)]
    after = await read_after(resources.redis, job_id, ids[1], count=100)
    assert [event.id for event in after] == ids[2:]
    assert [event.payload()["text"] for event in after] == ["2", "3", "4"]


async def test_terminal_event_starts_the_expiry(resources: Resources) -> None:
    job_id = new_job_id()
    events = publisher(resources, job_id)
    await events.publish(EventType.TOKEN, {"text": "a"})
    assert await resources.redis.ttl(stream_key(job_id)) == -1
    await events.publish(EventType.DONE, {"answer": "a"})
    assert 0 < await resources.redis.ttl(stream_key(job_id)) <= 120


async def test_stream_length_is_capped(resources: Resources) -> None:
    job_id = new_job_id()
    events = publisher(resources, job_id, max_len=100)
    for i in range(1000):
        await events.publish(EventType.TOKEN, {"text": str(i)})
    assert await resources.redis.xlen(stream_key(job_id)) < 300


async def followed_live(
    hub: StreamHub, resources: Resources
) -> tuple[EventPublisher, AsyncIterator[list[Frame]]]:
    """A new job's publisher, and its stream followed through the hub past the replayed
    `queued` event: what comes next arrives live."""
    events = publisher(resources, new_job_id())
    await events.publish(EventType.STATUS, {"stage": "queued"})
    stream = job_events(hub, resources.redis, events.job_id, "0-0")
    await anext(stream)
    return events, stream


async def collect(hub: StreamHub, resources: Resources, job_id: str, after: str) -> list[str]:
    batches = job_events(hub, resources.redis, job_id, after)
    return [frame.id async for batch in batches for frame in batch]


async def test_subscribers_joining_mid_stream_get_every_event_once(resources: Resources) -> None:
    hub = StreamHub(resources.redis, queue_size=10_000)
    await hub.start()
    try:
        for _ in range(5):
            job_id = new_job_id()
            events = publisher(resources, job_id)
            first = await events.publish(EventType.STATUS, {"stage": "queued"})
            producer = asyncio.create_task(trickle(events, 300))
            await asyncio.sleep(0.02)  # join while tokens are flowing
            from_start, from_first = await asyncio.gather(
                collect(hub, resources, job_id, "0-0"), collect(hub, resources, job_id, first)
            )
            produced = [first, *await producer]
            assert from_start == produced
            assert from_first == produced[1:]
        assert hub.followed_streams == 0
    finally:
        await hub.stop()


async def trickle(events: EventPublisher, count: int) -> list[str]:
    ids = []
    for i in range(count):
        ids.append(await events.publish(EventType.TOKEN, {"text": f"{i} "}))
        if i % 20 == 0:
            await asyncio.sleep(0.001)
    ids.append(await events.publish(EventType.DONE, {"answer": "x"}))
    return ids


async def test_finished_stream_is_replayed_without_waiting(resources: Resources) -> None:
    hub = StreamHub(resources.redis, queue_size=100)
    await hub.start()
    try:
        job_id = new_job_id()
        produced = await produce(publisher(resources, job_id), 10, 0)
        received = await asyncio.wait_for(collect(hub, resources, job_id, produced[3]), 5)
        assert received == produced[4:]
    finally:
        await hub.stop()


async def test_a_client_that_falls_behind_is_cut_off(resources: Resources) -> None:
    hub = StreamHub(resources.redis, queue_size=10)
    await hub.start()
    try:
        events, stream = await followed_live(hub, resources)  # and not reading
        for i in range(50):
            await events.publish(EventType.TOKEN, {"text": str(i)})
        await asyncio.sleep(0.3)
        with pytest.raises(ClientTooSlow):
            async for _ in stream:
                pass
        assert hub.followed_streams == 0
    finally:
        await hub.stop()


async def test_nothing_is_appended_after_a_terminal_event(resources: Resources) -> None:
    job_id = new_job_id()
    events = publisher(resources, job_id)
    await events.publish(EventType.ERROR, {"code": "cancelled"})
    assert await events.publish(EventType.TOKEN, {"text": "late"}) is None
    assert await events.publish(EventType.DONE, {"answer": "late"}) is None
    stored = await read_after(resources.redis, job_id, "0-0", count=10)
    assert [event.type for event in stored] == [EventType.ERROR]


async def test_streams_followed_at_once_all_go_live(resources: Resources) -> None:
    """Jobs followed together are each subscribed and each get their own events."""
    hub = StreamHub(resources.redis, queue_size=100)
    await hub.start()
    try:
        job_ids = [new_job_id() for _ in range(40)]
        for job_id in job_ids:
            await publisher(resources, job_id).publish(EventType.STATUS, {"stage": "queued"})
        streams = [job_events(hub, resources.redis, job_id, "0-0") for job_id in job_ids]
        await asyncio.gather(*(anext(stream) for stream in streams))  # replayed; all followed
        assert hub.followed_streams == len(job_ids)
        done_ids = [
            await publisher(resources, job_id).publish(EventType.DONE, {"answer": "x"})
            for job_id in job_ids
        ]
        live = await asyncio.wait_for(asyncio.gather(*(anext(s) for s in streams)), 10)
        assert [[frame.id for frame in batch] for batch in live] == [[i] for i in done_ids]
        for stream in streams:
            await stream.aclose()
        assert hub.followed_streams == 0
    finally:
        await hub.stop()


async def test_events_published_while_the_hub_reconnects_are_not_lost(
    resources: Resources,
) -> None:
    """Pub/sub drops what is published while the hub is disconnected: it has it replayed."""
    hub = StreamHub(resources.redis, queue_size=10_000)
    await hub.start()
    try:
        job_id = new_job_id()
        events = publisher(resources, job_id)
        produced = [await events.publish(EventType.STATUS, {"stage": "queued"})]
        stream = job_events(hub, resources.redis, job_id, "0-0")
        received = [frame.id for frame in await anext(stream)]
        killed = await resources.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed >= 1
        produced += [await events.publish(EventType.TOKEN, {"text": f"{i} "}) for i in range(20)]
        produced.append(await events.publish(EventType.DONE, {"answer": "x"}))
        async with asyncio.timeout(10):
            received += [frame.id async for batch in stream for frame in batch]
        assert received == produced
    finally:
        await hub.stop()


async def test_events_written_together_reach_live_clients_each_once(resources: Resources) -> None:
    """One write of several events is one pub/sub message; the client gets each as a frame."""
    hub = StreamHub(resources.redis, queue_size=100)
    await hub.start()
    try:
        events, stream = await followed_live(hub, resources)
        job_id = events.job_id
        written = [
            NewEvent.of(EventType.TOKEN, {"text": "line one\nline two"}),
            NewEvent.of(EventType.CITATIONS, []),
            NewEvent.of(EventType.DONE, {"answer": "x"}),
        ]
        last_id = await events.publish_all(written)
        async with asyncio.timeout(10):
            live = [frame async for batch in stream for frame in batch]
        stored = await read_after(resources.redis, job_id, "0-0", count=10)
        assert [frame.id for frame in live] == [event.id for event in stored[1:]]
        assert live[-1].id == last_id and live[-1].terminal
        assert [event.data for event in stored[1:]] == [event.data for event in written]
        assert 0 < await resources.redis.ttl(stream_key(job_id)) <= 120
    finally:
        await hub.stop()


async def test_only_the_last_event_of_a_write_may_end_the_stream(resources: Resources) -> None:
    events = publisher(resources, new_job_id())
    done, token = NewEvent.of(EventType.DONE, {}), NewEvent.of(EventType.TOKEN, {"text": "a"})
    with pytest.raises(ValueError, match="only the last event"):
        await events.publish_all([done, token])


async def channel_subscribers(resources: Resources, job_ids: list[str]) -> list[int]:
    counts = await resources.redis.pubsub_numsub(*(stream_key(job_id) for job_id in job_ids))
    return [int(count) for _, count in counts]


async def test_streams_let_go_are_unsubscribed_together_and_can_be_followed_again(
    resources: Resources,
) -> None:
    """Channels nobody follows are unsubscribed in a batch; one followed again before its batch
    went out stays live."""
    hub = StreamHub(resources.redis, queue_size=100)
    await hub.start()
    try:
        job_ids = [new_job_id() for _ in range(5)]
        for job_id in job_ids:
            await publisher(resources, job_id).publish(EventType.STATUS, {"stage": "queued"})
        streams = [job_events(hub, resources.redis, job_id, "0-0") for job_id in job_ids]
        await asyncio.gather(*(anext(stream) for stream in streams))
        assert await channel_subscribers(resources, job_ids) == [1] * 5
        for stream in streams:
            await stream.aclose()
        again = job_events(hub, resources.redis, job_ids[0], "0-0")
        await anext(again)  # the queued event, replayed; live from now on

        async def let_go() -> bool:
            return not any(await channel_subscribers(resources, job_ids[1:]))

        await eventually(let_go, "the streams let go are unsubscribed")
        assert await channel_subscribers(resources, job_ids[:1]) == [1]
        done = await publisher(resources, job_ids[0]).publish(EventType.DONE, {"answer": "x"})
        live = await asyncio.wait_for(anext(again), 10)
        assert [frame.id for frame in live] == [done]
    finally:
        await hub.stop()
