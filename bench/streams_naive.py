"""The naive relay, baseline of `scripts/bench.py streams`: one Redis connection and one blocking
XREAD per SSE client, served like the product's relay (Starlette, sse-starlette, uvicorn on
uvloop and httptools) on the same path, so the same load client and producers drive both.

Run: python -m bench.streams_naive --port PORT --redis-url URL
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import uvicorn
from redis.asyncio import Redis
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from shared.events import TERMINAL_EVENTS, stream_key

BLOCK_MS = 5000
PING_SECONDS = 15.0


async def _events(redis_url: str, job_id: str) -> AsyncIterator[ServerSentEvent]:
    redis = Redis.from_url(redis_url, decode_responses=True, single_connection_client=True)
    cursor = "0-0"
    try:
        while True:
            batches = await redis.xread({stream_key(job_id): cursor}, count=500, block=BLOCK_MS)
            for _, entries in batches or []:
                for entry_id, fields in entries:
                    yield ServerSentEvent(data=fields["data"], event=fields["event"], id=entry_id)
                    cursor = entry_id
                    if fields["event"] in TERMINAL_EVENTS:
                        return
    finally:
        await redis.aclose()


def naive_app(redis_url: str) -> Starlette:
    async def job_events(request: Request) -> EventSourceResponse:
        return EventSourceResponse(
            _events(redis_url, request.path_params["job_id"]), ping=PING_SECONDS
        )

    return Starlette(routes=[Route("/v1/jobs/{job_id}/events", job_events)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    uvicorn.run(naive_app(args.redis_url), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
