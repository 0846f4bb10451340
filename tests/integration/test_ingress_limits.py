"""Ingress limits against the real Redis: exact counts, a sliding window, many clients at once."""

import asyncio
import secrets
import sys
import uuid
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI
from redis.asyncio import Redis

from api.error_handlers import install_error_handlers
from api.ratelimit import (
    RateLimitHeadersMiddleware,
    limit_admin_login,
    limit_general,
    limit_upload,
)
from izana.processes import free_port
from shared.config import Rate
from shared.resilience.sliding_window import RateDecision, SlidingWindowLimiter, limit_key
from shared.resources import Resources
from shared.sessions.service import SessionLookup, create_session
from tests.constants import ROOT

pytestmark = pytest.mark.integration

HITTER = """
import asyncio, sys
from redis.asyncio import Redis
from shared.config import Rate
from shared.resilience.sliding_window import SlidingWindowLimiter

async def main(url, key, limit, hits):
    redis = Redis.from_url(url, decode_responses=True)
    limiter = SlidingWindowLimiter(redis)
    await redis.ping()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    decisions = await asyncio.gather(*(limiter.hit(key, Rate(limit, 60)) for _ in range(hits)))
    print(sum(decision.allowed for decision in decisions), flush=True)
    await redis.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


@pytest.fixture
def limiter(resources: Resources) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(resources.redis)


def fresh_key() -> str:
    return limit_key("test", uuid.uuid4().hex)


def some_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))


async def hits(limiter: SlidingWindowLimiter, key: str, rate: Rate, count: int) -> list[bool]:
    return [(await limiter.hit(key, rate)).allowed for _ in range(count)]


async def test_exactly_the_limit_is_admitted(
    limiter: SlidingWindowLimiter, resources: Resources
) -> None:
    key, rate = fresh_key(), Rate(5, 60)
    decisions = [await limiter.hit(key, rate) for _ in range(7)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]
    assert [d.retry_after_seconds for d in decisions[:5]] == [0] * 5
    assert decisions[-1].retry_after_seconds in {59, 60}
    assert await resources.redis.zcard(key) == 5
    assert 0 < await resources.redis.pttl(key) <= 60_000


async def test_the_window_reopens_after_its_length(limiter: SlidingWindowLimiter) -> None:
    key, rate = fresh_key(), Rate(3, 1)
    assert await hits(limiter, key, rate, 4) == [True, True, True, False]
    assert (await limiter.hit(key, rate)).retry_after_seconds == 1
    await asyncio.sleep(1.05)
    assert await hits(limiter, key, rate, 4) == [True, True, True, False]


async def test_the_window_slides_one_request_at_a_time(limiter: SlidingWindowLimiter) -> None:
    key, rate = fresh_key(), Rate(2, 2)
    assert await hits(limiter, key, rate, 1) == [True]
    await asyncio.sleep(1.0)
    assert await hits(limiter, key, rate, 2) == [True, False]
    await asyncio.sleep(1.1)  # the first request has left the window, the second has not
    assert await hits(limiter, key, rate, 2) == [True, False]


async def test_retry_after_counts_down_to_the_oldest_request_leaving(
    limiter: SlidingWindowLimiter,
) -> None:
    key, rate = fresh_key(), Rate(1, 3)
    await limiter.hit(key, rate)
    assert (await limiter.hit(key, rate)).retry_after_seconds == 3
    await asyncio.sleep(1.1)
    refused = await limiter.hit(key, rate)
    assert (refused.allowed, refused.retry_after_seconds, refused.reset_seconds) == (False, 2, 2)


async def test_two_connections_together_never_admit_more_than_the_limit(
    resources: Resources,
) -> None:
    key, rate = fresh_key(), Rate(25, 60)
    url = resources.settings.redis_url or ""
    async with (
        Redis.from_url(url, decode_responses=True) as a,
        Redis.from_url(url, decode_responses=True) as b,
    ):
        limiters = [SlidingWindowLimiter(a), SlidingWindowLimiter(b)]
        decisions: list[RateDecision] = await asyncio.gather(
            *(limiter.hit(key, rate) for limiter in limiters for _ in range(60))
        )
    assert sum(decision.allowed for decision in decisions) == 25


async def start_hitter(url: str, key: str, limit: int, count: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HITTER, url, key, str(limit), str(count),
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"
    return process


async def admitted_by(process: asyncio.subprocess.Process) -> int:
    stdout, _ = await process.communicate(b"go\n")
    assert process.returncode == 0
    return int(stdout)


async def test_two_processes_together_never_admit_more_than_the_limit(
    resources: Resources,
) -> None:
    key, url = fresh_key(), resources.settings.redis_url or ""
    processes = [await start_hitter(url, key, 40, 100) for _ in range(2)]
    admitted = await asyncio.gather(*(admitted_by(process) for process in processes))
    assert sum(admitted) == 40


def limited_app(resources: Resources, limiter: SlidingWindowLimiter, **rates: Rate) -> FastAPI:
    """A tiny app wired like the real one, with the upload and admin-login limits on routes."""
    app = FastAPI(dependencies=[Depends(limit_general)])
    install_error_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.state.resources = replace(resources, settings=resources.settings.model_copy(update=rates))
    app.state.rate_limiter = limiter
    app.state.sessions = SessionLookup(resources.sessionmaker, resources.redis)  # not following

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/upload", dependencies=[Depends(limit_upload)])
    async def upload() -> dict[str, str]:
        return {"status": "accepted"}

    @app.post("/login", dependencies=[Depends(limit_admin_login)])
    async def login() -> dict[str, str]:
        return {"status": "ok"}

    return app


def client_of(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=(ip, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def assert_rate_limited(response: httpx.Response, policy: str, limit: int) -> None:
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert f"retry in {response.headers['retry-after']} second" in error["message"]
    assert error["details"]["policy"] == policy
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-limit"] == str(limit)
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == response.headers["retry-after"]


async def new_token(resources: Resources) -> dict[str, str]:
    issued = await create_session(resources.sessionmaker, timedelta(hours=1))
    return {"Authorization": f"Bearer {issued.token}"}


async def test_uploads_are_limited_per_session(
    resources: Resources, limiter: SlidingWindowLimiter
) -> None:
    app = limited_app(resources, limiter, rate_limit_upload=Rate(2, 3600))
    first, second = await new_token(resources), await new_token(resources)
    async with client_of(app, some_ip()) as client:
        allowed = [await client.post("/upload", headers=first) for _ in range(2)]
        refused = await client.post("/upload", headers=first)
        other = await client.post("/upload", headers=second)
    assert [r.status_code for r in allowed] == [200, 200]
    assert [r.headers["ratelimit-remaining"] for r in allowed] == ["1", "0"]
    assert allowed[0].headers["ratelimit-limit"] == "2"
    assert_rate_limited(refused, "upload", 2)
    assert int(refused.headers["retry-after"]) in {3599, 3600}
    assert other.status_code == 200 and other.headers["ratelimit-remaining"] == "1"


async def test_a_request_refused_per_session_is_not_counted_per_ip_either(
    resources: Resources, limiter: SlidingWindowLimiter
) -> None:
    app, ip = limited_app(resources, limiter, rate_limit_upload=Rate(1, 3600)), some_ip()
    token = await new_token(resources)
    async with client_of(app, ip) as client:
        statuses = [(await client.post("/upload", headers=token)).status_code for _ in range(3)]
    assert statuses == [200, 429, 429]
    assert await resources.redis.zcard(limit_key("general", ip)) == 1


@pytest.mark.parametrize(
    ("setting", "method", "path", "policy"),
    [
        ("rate_limit_admin_login", "POST", "/login", "admin_login"),
        ("rate_limit_general", "GET", "/ping", "general"),
    ],
)
async def test_per_ip_limits_keep_clients_apart(
    resources: Resources,
    limiter: SlidingWindowLimiter,
    setting: str,
    method: str,
    path: str,
    policy: str,
) -> None:
    app = limited_app(resources, limiter, **{setting: Rate(3, 900)})
    async with client_of(app, some_ip()) as client, client_of(app, some_ip()) as other:
        statuses = [(await client.request(method, path)).status_code for _ in range(3)]
        refused = await client.request(method, path)
        elsewhere = await other.request(method, path)
    assert statuses == [200, 200, 200]
    assert_rate_limited(refused, policy, 3)
    assert elsewhere.status_code == 200 and elsewhere.headers["ratelimit-remaining"] == "2"


async def test_the_general_limit_comes_first_and_spares_the_probes(
    resources: Resources, limiter: SlidingWindowLimiter
) -> None:
    app, ip = limited_app(resources, limiter, rate_limit_general=Rate(1, 60)), some_ip()
    async with client_of(app, ip) as client:
        await client.get("/ping")
        login = await client.post("/login")
        probe = await client.get("/healthz")
    assert_rate_limited(login, "general", 1)
    assert not await resources.redis.exists(limit_key("admin_login", ip))  # refused, not counted
    assert probe.status_code == 200 and "ratelimit-limit" not in probe.headers


async def test_redis_down_answers_503_not_an_unlimited_request(resources: Resources) -> None:
    async with Redis(port=free_port(), decode_responses=True) as dead:
        app = limited_app(resources, SlidingWindowLimiter(dead))
        async with client_of(app, some_ip()) as client:
            response = await client.get("/ping")
            probe = await client.get("/healthz")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert probe.status_code == 200
