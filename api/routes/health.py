"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from arq.constants import default_queue_name
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import ResourcesDep
from api.error_docs import error_responses
from shared.db.session import ping
from shared.observability.metrics import exposition
from shared.resources import Resources
from shared.streamed_jobs.workers import announced_providers, live_workers

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", responses=error_responses())
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_redis(resources: Resources) -> int:
    await resources.redis.ping()
    return int(await resources.redis.zcard(default_queue_name))


async def _check_database(resources: Resources) -> None:
    await ping(resources.engine)


class NoWorkerReady(Exception):
    """No worker has a fresh heartbeat: none has loaded its models, or all are gone."""


async def _check_workers(resources: Resources) -> None:
    if await live_workers(resources.redis, resources.settings.job_lease_seconds) == 0:
        raise NoWorkerReady


async def _run_check(check: Any) -> str:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        return f"down: {type(error).__name__}"
    return "ok"


@router.get(
    "/readyz",
    responses={
        503: {"description": "Not ready: the same report, naming the checks that failed."},
        **error_responses(),
    },
)
async def readyz(resources: ResourcesDep) -> JSONResponse:
    checks = {
        "redis": await _run_check(_check_redis(resources)),
        "database": await _run_check(_check_database(resources)),
        "workers": await _run_check(_check_workers(resources)),
    }
    ready = all(result == "ok" for result in checks.values())
    body: dict[str, Any] = {
        "status": "ready" if ready else "unavailable",
        "checks": checks,
    }
    if ready:
        body["providers"] = await announced_providers(resources.redis)
        body["queue_depth"] = await resources.redis.zcard(default_queue_name)
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus metrics: this process's counters, and the queue read from Redis now."""
    body, content_type = await exposition()
    return Response(body, media_type=content_type)
