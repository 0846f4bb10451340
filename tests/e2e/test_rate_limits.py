"""Ingress limits through both API processes, with the default limits.

These tests connect from their own loopback addresses (127.0.0.2 and up), so the requests they
spend never count against the general limit of the other e2e tests, which come from 127.0.0.1.
"""

import socket

import httpx
import pytest

from izana.processes import ApiProcess
from shared.resilience.sliding_window import limit_key
from shared.resources import Resources
from tests.e2e.client import new_session

pytestmark = pytest.mark.e2e

QUESTION = {"message": "What is AMH?"}


def client_from(address: str) -> httpx.AsyncClient:
    """A client whose requests come from `address` (a fresh peer IP for the general limit)."""
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
    except OSError:
        pytest.skip(f"{address} is not a local address on this machine")
    return httpx.AsyncClient(timeout=30, transport=httpx.AsyncHTTPTransport(local_address=address))


async def forget(resources: Resources, *addresses: str) -> None:
    """Drop what earlier runs counted for these addresses."""
    await resources.redis.delete(*(limit_key("general", address) for address in addresses))


def assert_limited(response: httpx.Response, policy: str, limit: int) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    retry_after = int(response.headers["retry-after"])
    assert error["code"] == "rate_limited" and f"retry in {retry_after} second" in error["message"]
    assert (error["details"]["policy"], error["details"]["limit"]) == (policy, limit)
    assert 1 <= retry_after <= error["details"]["window_seconds"]
    assert response.headers["ratelimit-limit"] == str(limit)
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == str(retry_after)


async def test_the_chat_request_over_the_limit_is_refused_for_that_session_only(
    api_servers: list[ApiProcess], worker_process: None, resources: Resources
) -> None:
    rate = resources.settings.rate_limit_chat
    urls = [f"{server.base_url}/v1/chat" for server in api_servers]
    await forget(resources, "127.0.0.3")
    async with client_from("127.0.0.3") as client:
        auth = await new_session(client, api_servers[0].base_url)
        other = await new_session(client, api_servers[0].base_url)
        # Alternating replicas: they share one count in Redis.
        admitted = [
            await client.post(urls[n % 2], json=QUESTION, headers=auth) for n in range(rate.limit)
        ]
        refused = await client.post(urls[0], json=QUESTION, headers=auth)
        elsewhere = await client.post(urls[1], json=QUESTION, headers=other)
    assert [response.status_code for response in admitted] == [202] * rate.limit
    remaining = [response.headers["ratelimit-remaining"] for response in admitted]
    assert remaining == [str(left) for left in reversed(range(rate.limit))]
    assert_limited(refused, "chat", rate.limit)
    assert elsewhere.status_code == 202, elsewhere.text
    assert elsewhere.headers["ratelimit-remaining"] == str(rate.limit - 1)


async def test_the_general_limit_is_per_client_ip(
    api_servers: list[ApiProcess], resources: Resources
) -> None:
    # Unauthenticated job reads: answered 401 without touching the database.
    urls = [f"{server.base_url}/v1/jobs/{'0' * 32}" for server in api_servers]
    await forget(resources, "127.0.0.2", "127.0.0.4")
    async with client_from("127.0.0.2") as client, client_from("127.0.0.4") as other:
        first = await client.get(urls[0])
        limit = int(first.headers["ratelimit-limit"])  # whatever the API processes were given
        statuses = {(await client.get(urls[n % 2])).status_code for n in range(1, limit)}
        # A client cannot name another address for itself: only trusted proxies may.
        refused = await client.get(urls[0], headers={"X-Forwarded-For": "203.0.113.9"})
        probe = await client.get(f"{api_servers[0].base_url}/healthz")
        elsewhere = await other.get(urls[1])
    assert first.status_code == 401 and statuses == {401}
    assert_limited(refused, "general", limit)
    assert probe.status_code == 200 and "ratelimit-limit" not in probe.headers
    assert elsewhere.status_code == 401
    assert elsewhere.headers["ratelimit-remaining"] == str(limit - 1)
