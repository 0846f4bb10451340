"""The attacks of issue 17, replayed against the real API processes, and each one refused.

Each test is named after the finding it reproduces.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from httpx_sse import aconnect_sse

from api.ratelimit import PIN_FAILURES_KEY
from izana.embedded import ServiceUrls
from izana.processes import ApiProcess, start_api, stop, wait_ready
from shared.events import EventType, last_event
from shared.jobs import ChatJob, new_job_id, now_ms
from shared.resilience.sliding_window import limit_key
from shared.resources import Resources
from shared.sessions.service import create_session
from tests.e2e.conftest import process_env

pytestmark = pytest.mark.e2e

LOGIN_LIMIT = 5
BODY_TIMEOUT_SECONDS = 1


@pytest.fixture(scope="module")
def hardened_api(service_urls: ServiceUrls) -> Iterator[ApiProcess]:
    """An API process as deployed without a proxy: no FORWARDED_ALLOW_IPS, the default admin
    login limit, a short body read timeout."""
    env = process_env(service_urls)
    env.pop("FORWARDED_ALLOW_IPS", None)
    env.update(
        RATE_LIMIT_ADMIN_LOGIN=f"{LOGIN_LIMIT}/15minutes",
        BODY_READ_TIMEOUT_SECONDS=str(BODY_TIMEOUT_SECONDS),
    )
    server = start_api(env)
    try:
        wait_ready(server, need_worker=False)
        yield server
    finally:
        stop(server.process)


async def test_x_forwarded_for_is_trusted_from_127_0_0_1(
    hardened_api: ApiProcess, resources: Resources
) -> None:
    """From loopback with a new X-Forwarded-For per request, wrong PINs still hit the limit."""
    await resources.redis.delete(limit_key("admin_login", "127.0.0.1"), PIN_FAILURES_KEY)
    url = f"{hardened_api.base_url}/v1/admin/login"
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            statuses = [
                (
                    await client.post(
                        url, json={"pin": "0000"}, headers={"X-Forwarded-For": f"203.0.113.{n}"}
                    )
                ).status_code
                for n in range(LOGIN_LIMIT + 1)
            ]
            refused = await client.post(
                url, json={"pin": "0000"}, headers={"X-Forwarded-For": "198.51.100.7"}
            )
    finally:
        await resources.redis.delete(limit_key("admin_login", "127.0.0.1"), PIN_FAILURES_KEY)
    assert statuses == [401] * LOGIN_LIMIT + [429]
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["policy"] == "admin_login"


async def test_no_read_timeout_on_request_bodies(hardened_api: ApiProcess) -> None:
    """A body announced but never sent (slowloris) gets 408 instead of holding the request."""
    address = urlsplit(hardened_api.base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(
        b"POST /v1/chat HTTP/1.1\r\nHost: izana\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"message": '
    )
    await writer.drain()
    response = b""
    while b"request_timeout" not in response:  # nothing more is ever sent
        chunk = await reader.read(4096)
        if not chunk:
            break
        response += chunk
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), response
    assert b'"code":"request_timeout"' in rest


async def started_job(resources: Resources) -> tuple[ChatJob, dict[str, str]]:
    """A session's queued job, its stream begun, that no worker will run (it is in no queue)."""
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    job = ChatJob(
        job_id=new_job_id(), session_id=issued.session.id, conversation_id=uuid.uuid4(),
        message="What is AMH?", enqueued_at_ms=now_ms(),
    )  # fmt: skip
    await resources.jobs.create(job.queued_record())
    await resources.job_events(job.job_id).publish(EventType.STATUS, {"stage": "queued"})
    return job, {"Authorization": f"Bearer {issued.token}"}


async def event_types(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[str]:
    """The events of the whole response, read until the server ends it."""
    async with aconnect_sse(client, "GET", url, headers=headers) as source:
        assert source.response.status_code == 200
        return [sse.event async for sse in source.aiter_sse()]


async def test_sse_of_a_finished_job_never_ends(
    api_servers: list[ApiProcess], resources: Resources
) -> None:
    """Last-Event-ID at or beyond a finished job's last event: the response ends, empty."""
    job, auth = await started_job(resources)
    base = api_servers[0].base_url
    async with httpx.AsyncClient(timeout=30) as client:
        cancelled = await client.delete(f"{base}/v1/jobs/{job.job_id}", headers=auth)
        assert cancelled.status_code == 200, cancelled.text
        url = f"{base}/v1/jobs/{job.job_id}/events"
        terminal = await last_event(resources.redis, job.job_id)
        assert terminal is not None and terminal.type is EventType.ERROR
        everything = await event_types(client, url, auth)
        at_the_end = await event_types(client, url, {**auth, "Last-Event-ID": terminal.id})
        beyond = await event_types(client, url, {**auth, "Last-Event-ID": "99999999999999-0"})
    assert everything == ["status", "error"]
    assert at_the_end == [] and beyond == []


@pytest.mark.parametrize("last_event_id", ["18446744073709551616-0", "0-99999999999999999999"])
async def test_sse_ids_above_redis_s_64_bit_range(
    api_servers: list[ApiProcess], resources: Resources, last_event_id: str
) -> None:
    job, auth = await started_job(resources)
    url = f"{api_servers[0].base_url}/v1/jobs/{job.job_id}/events"
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(url, headers={**auth, "Last-Event-ID": last_event_id})
        await client.delete(f"{api_servers[0].base_url}/v1/jobs/{job.job_id}", headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_last_event_id"


async def test_sse_without_a_cap_per_session(
    api_servers: list[ApiProcess], resources: Resources
) -> None:
    """A session's open streams are counted across both API processes; past the cap, 429,
    until one of them ends."""
    limit = resources.settings.sse_max_streams_per_session  # the processes' default too
    job, auth = await started_job(resources)
    urls = [f"{server.base_url}/v1/jobs/{job.job_id}/events" for server in api_servers]
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=None)) as client:
        async with AsyncExitStack() as streams:
            opened = [
                await streams.enter_async_context(client.stream("GET", urls[n % 2], headers=auth))
                for n in range(limit)
            ]
            refused = await client.get(urls[0], headers=auth)
            other_job, other_auth = await started_job(resources)
            other_url = f"{api_servers[1].base_url}/v1/jobs/{other_job.job_id}/events"
            async with client.stream("GET", other_url, headers=other_auth) as other:
                other_status = other.status_code
        # Every stream closed: their slots are freed as the servers see the clients leave.
        reopened = await reopen(client, urls[1], auth)
        for done, headers in ((job, auth), (other_job, other_auth)):
            await client.delete(f"{api_servers[0].base_url}/v1/jobs/{done.job_id}", headers=headers)
    assert [stream.status_code for stream in opened] == [200] * limit
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_streams"
    assert refused.json()["error"]["details"] == {"limit": limit}
    assert int(refused.headers["retry-after"]) >= 1
    assert other_status == 200  # another session's cap is its own
    assert reopened == 200


async def reopen(client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> int:
    """The status of a new stream once the cap has room again (the servers free a slot when
    they notice the client left)."""
    for _ in range(100):
        async with client.stream("GET", url, headers=auth) as response:
            if response.status_code != 429:
                return response.status_code
        await asyncio.sleep(0.1)
    return 429
