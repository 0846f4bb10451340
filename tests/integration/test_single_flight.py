"""Single flight on real Redis: one leader per question, its lease, followers relaying it."""

import asyncio
import uuid

import pytest

from shared.cache.response_cache import cache_key
from shared.cache.single_flight import Claim, LeaderLost, SingleFlight, flight_key, follow
from shared.events import EventPublisher, EventType, StreamEvent
from shared.jobs import new_job_id
from shared.resources import Resources

pytestmark = pytest.mark.integration

LEASE = 0.3


def unique_key() -> str:
    return cache_key(f"What is IVF? {uuid.uuid4()}", "en", "kb-test", "test-model")


def publisher(resources: Resources, job_id: str) -> EventPublisher:
    return EventPublisher(resources.redis, job_id, max_len=1000, ttl_seconds=60)


async def holder(resources: Resources, key: str) -> str | None:
    held: str | None = await resources.redis.get(flight_key(key))
    return held


async def collect(resources: Resources, key: str, leader: str, idle: float) -> list[StreamEvent]:
    return [event async for event in follow(resources.redis, key, leader, idle)]


async def test_exactly_one_of_100_concurrent_claims_leads(resources: Resources) -> None:
    flight, key = SingleFlight(resources.redis, LEASE), unique_key()
    jobs = [new_job_id() for _ in range(100)]
    claims = await asyncio.gather(*(flight.claim(key, job) for job in jobs))
    leaders = [job for job, claim in zip(jobs, claims, strict=True) if claim == Claim()]
    assert len(leaders) == 1
    assert {claim.leader for claim in claims if claim != Claim()} == {leaders[0]}


async def test_the_leader_claiming_again_stays_leader(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    assert await flight.claim(key, job) == Claim()
    assert await flight.claim(key, job) == Claim()
    assert await flight.claim(key, new_job_id()) == Claim(leader=job)


async def test_a_cached_answer_is_returned_instead_of_a_lease(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await resources.redis.set(key, '{"answer": "cached"}', ex=60)
    assert await flight.claim(key, job) == Claim(cached='{"answer": "cached"}')
    assert await holder(resources, key) is None


async def test_only_the_owner_renews_or_releases(resources: Resources) -> None:
    flight, key = SingleFlight(resources.redis, LEASE), unique_key()
    owner, other = new_job_id(), new_job_id()
    await flight.claim(key, owner)
    assert await flight.renew(key, other) is False
    await flight.release(key, other)
    assert await holder(resources, key) == owner
    assert await flight.renew(key, owner) is True
    await flight.release(key, owner)
    assert await holder(resources, key) is None
    assert await flight.renew(key, owner) is False


async def test_an_expired_lease_lets_a_new_leader_in(resources: Resources) -> None:
    flight, key = SingleFlight(resources.redis, 0.1), unique_key()
    first, second = new_job_id(), new_job_id()
    await flight.claim(key, first)
    await asyncio.sleep(0.2)
    assert await flight.claim(key, second) == Claim()
    assert await flight.claim(key, first) == Claim(leader=second)


async def test_leading_keeps_the_lease_alive_and_releases_it(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await flight.claim(key, job)
    async with flight.leading(key, job):
        await asyncio.sleep(LEASE * 3)
        assert await holder(resources, key) == job
    assert await holder(resources, key) is None


async def test_a_landed_answer_is_cached_as_the_lease_goes(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await flight.claim(key, job)
    async with flight.leading(key, job) as landing:
        landing.entry, landing.ttl_seconds = '{"answer": "landed"}', 30
        assert await resources.redis.get(key) is None  # not before the lease is let go
    assert await holder(resources, key) is None
    assert await resources.redis.get(key) == '{"answer": "landed"}'
    assert 0 < await resources.redis.ttl(key) <= 30
    assert await flight.claim(key, new_job_id()) == Claim(cached='{"answer": "landed"}')


async def test_leading_releases_on_an_exception(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await flight.claim(key, job)
    with pytest.raises(RuntimeError, match="provider down"):
        async with flight.leading(key, job):
            raise RuntimeError("provider down")
    assert await holder(resources, key) is None


async def test_leading_releases_when_cancelled(resources: Resources) -> None:
    flight, key, job = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    started = asyncio.Event()

    async def lead() -> None:
        async with flight.leading(key, job):
            started.set()
            await asyncio.sleep(60)

    await flight.claim(key, job)
    task = asyncio.create_task(lead())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await holder(resources, key) is None


async def test_follow_relays_the_whole_stream_in_order(resources: Resources) -> None:
    flight, key, leader = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await flight.claim(key, leader)
    events = publisher(resources, leader)
    async with flight.leading(key, leader):
        published = [await events.publish(EventType.STATUS, {"stage": "retrieving"})]
        follower = asyncio.create_task(collect(resources, key, leader, idle=1.0))
        for index in range(20):
            published.append(await events.publish(EventType.TOKEN, {"text": f"t{index} "}))
            await asyncio.sleep(0.005)
        published.append(await events.publish(EventType.DONE, {"answer": "done"}))
        relayed = await follower
    assert [event.id for event in relayed] == published
    assert [event.type for event in relayed][-1] is EventType.DONE
    assert relayed[1].payload() == {"text": "t0 "}


async def test_follow_replays_a_leader_that_already_finished(resources: Resources) -> None:
    key, leader = unique_key(), new_job_id()
    events = publisher(resources, leader)
    await events.publish(EventType.TOKEN, {"text": "an answer"})
    await events.publish(EventType.ERROR, {"code": "x", "message": "y", "retryable": True})
    relayed = await collect(resources, key, leader, idle=1.0)
    assert [event.type for event in relayed] == [EventType.TOKEN, EventType.ERROR]


async def test_follow_waits_for_a_silent_leader_that_holds_its_lease(
    resources: Resources,
) -> None:
    flight, key, leader = SingleFlight(resources.redis, LEASE), unique_key(), new_job_id()
    await flight.claim(key, leader)

    async def lead() -> None:
        async with flight.leading(key, leader):
            await asyncio.sleep(LEASE * 2)
            await publisher(resources, leader).publish(EventType.DONE, {"answer": "late"})

    leading = asyncio.create_task(lead())
    relayed = await collect(resources, key, leader, idle=0.05)
    await leading
    assert [event.payload() for event in relayed] == [{"answer": "late"}]


async def test_follow_gives_up_on_a_dead_leader(resources: Resources) -> None:
    flight, key = SingleFlight(resources.redis, LEASE), unique_key()
    dead, follower = new_job_id(), new_job_id()
    await flight.claim(key, dead)
    with pytest.raises(LeaderLost) as lost:
        await collect(resources, key, dead, idle=0.05)
    assert lost.value.leader_job_id == dead
    assert await flight.claim(key, follower) == Claim()
