"""How many connections one process may open to one provider, and pools that stay cheap when
there are many.

Every answer being written holds a streaming connection for its whole length, so a worker with
hundreds of jobs in flight needs as many. httpcore's pool (under httpx, hence the Groq and Cohere
SDKs) looks at every connection of the pool, and for each idle one counts them all again, on
each request and each response closed: with a thousand connections in one pool that bookkeeping
cost more CPU than the requests. `sharded_transport` spreads requests over pools of
`SHARD_CONNECTIONS` each instead.
"""

from __future__ import annotations

import itertools
import math

import httpx

DEFAULT_MAX_CONNECTIONS = 1000
SHARD_CONNECTIONS = 50


def connection_limits(max_connections: int) -> httpx.Limits:
    """Up to `max_connections` at once, all kept alive for the next request."""
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


class ShardedTransport(httpx.AsyncBaseTransport):
    """Requests handed to several connection pools in turn."""

    def __init__(self, shards: list[httpx.AsyncHTTPTransport]) -> None:
        self._shards = shards
        self._next = itertools.cycle(shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def sharded_transport(max_connections: int) -> ShardedTransport:
    """Up to `max_connections` connections in all, in pools of at most `SHARD_CONNECTIONS`."""
    count = math.ceil(max_connections / SHARD_CONNECTIONS)
    limits = connection_limits(math.ceil(max_connections / count))
    return ShardedTransport([httpx.AsyncHTTPTransport(limits=limits) for _ in range(count)])
