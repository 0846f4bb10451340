"""A whole deployment on this machine for the provider benchmarks: embedded Redis and Postgres
(or the URLs in the environment), the provider emulator, API and worker processes whose
providers all point at the emulator, and a client that submits chat jobs through the API."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import REPO_ROOT
from emulator import EmulatorConfig, RunningEmulator
from izana.embedded import ServiceUrls, embedded_services, exit_on_sigterm
from izana.processes import (
    ApiProcess,
    free_port,
    service_env,
    start_api,
    start_izana,
    stop_all,
    wait_ready,
)
from shared.config import Settings
from shared.db.migrate import upgrade_to_head
from shared.jobs import JobRecord, JobStatus
from shared.rag.assembly import build_providers, ingest_shipped
from shared.resources import Resources

BENCH_KEY = "bench-key-not-a-secret"
TERMINAL = frozenset({JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class FleetPlan:
    workers: int = 1
    apis: int = 1
    emulator: EmulatorConfig = field(default_factory=EmulatorConfig)
    # Settings of the API and worker processes (environment variable → value); they override
    # `provider_env` (an empty key turns that provider off).
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Fleet:
    urls: ServiceUrls
    settings: Settings
    emulator: RunningEmulator
    apis: list[ApiProcess]
    processes: list[subprocess.Popen[bytes]]
    # Where the embedded servers keep their data, and the API and worker environment: what a
    # benchmark needs to restart a server or start one more worker like the others.
    data_dir: Path
    env: dict[str, str]


def provider_env(emulator_url: str) -> dict[str, str]:
    """Every provider of the product pointed at the emulator (Groq draft and small models,
    OpenAI fallback and embeddings, Cohere rerank)."""
    return {
        "GROQ_API_KEY": BENCH_KEY,
        "GROQ_BASE_URL": emulator_url,
        "OPENAI_API_KEY": BENCH_KEY,
        "OPENAI_BASE_URL": f"{emulator_url}/v1",
        "COHERE_API_KEY": BENCH_KEY,
        "COHERE_BASE_URL": emulator_url,
        # Ingress limits are not what these benchmarks measure.
        "RATE_LIMIT_GENERAL": "1000000/minute",
        "RATE_LIMIT_CHAT": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }


def start_dev_module(module: str, *args: str) -> subprocess.Popen[bytes]:
    """`python -m MODULE ARGS` for a module of bench/ or emulator/: they are not installed with
    the product, so the child finds them through PYTHONPATH, whatever its working directory."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env)


def start_emulator(config: EmulatorConfig) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start_dev_module(
        "emulator", "--port", str(port), "--config", config.model_dump_json()
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_emulator/config", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the emulator did not start")


@contextmanager
def running_fleet(plan: FleetPlan) -> Iterator[Fleet]:
    """The fleet on fresh embedded Redis and Postgres of its own (a temporary directory), so
    breakers, budgets and cached answers of another run cannot leak into this one — unless
    REDIS_URL / DATABASE_URL are set, which are then used as they are."""
    exit_on_sigterm()
    with (
        tempfile.TemporaryDirectory(prefix="izana-bench-") as data_dir,
        _fleet(plan, Path(data_dir)) as fleet,
    ):
        yield fleet


@contextmanager
def _fleet(plan: FleetPlan, data_dir: Path) -> Iterator[Fleet]:
    base = Settings(data_dir=data_dir)
    with embedded_services(base) as urls:
        upgrade_to_head(urls.database_url)
        settings = base.model_copy(
            update={"redis_url": urls.redis_url, "database_url": urls.database_url}
        )
        emulator_process, emulator_url = start_emulator(plan.emulator)
        env = service_env(urls, **(provider_env(emulator_url) | plan.env))
        apis = [start_api(env) for _ in range(plan.apis)]
        workers = [start_izana(["worker"], env) for _ in range(plan.workers)]
        processes = [emulator_process, *(api.process for api in apis), *workers]
        try:
            for api in apis:
                wait_ready(api, need_worker=plan.workers > 0)
            emulator = RunningEmulator(emulator_url)
            yield Fleet(urls, settings, emulator, apis, processes, data_dir, env)
        finally:
            stop_all(processes, 60)


async def prepare_knowledge(resources: Resources) -> None:
    await ingest_shipped(resources, build_providers(resources))


async def new_session(client: httpx.AsyncClient, base_url: str) -> dict[str, str]:
    response = await client.post(f"{base_url}/v1/sessions")
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def submit(
    client: httpx.AsyncClient, base_url: str, auth: dict[str, str], message: str
) -> str:
    """POST /v1/chat; the job id."""
    response = await client.post(f"{base_url}/v1/chat", json={"message": message}, headers=auth)
    response.raise_for_status()
    job_id: str = response.json()["job_id"]
    return job_id


async def submit_many(
    fleet: Fleet,
    messages: list[str],
    concurrency: int = 16,
    hold: Callable[[str], Awaitable[None]] | None = None,
) -> list[str]:
    """Submit every message (round robin over the API processes) and return their job ids.

    With `hold`, a submission keeps its slot until `hold(job_id)` returns (e.g. until the job
    ended: a closed loop that never queues more than `concurrency` jobs).
    """
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:
        auth = await new_session(client, fleet.apis[0].base_url)

        async def one(index: int, message: str) -> str:
            async with limit:
                base_url = fleet.apis[index % len(fleet.apis)].base_url
                job_id = await submit(client, base_url, auth, message)
                if hold is not None:
                    await hold(job_id)
                return job_id

        return list(await asyncio.gather(*(one(i, m) for i, m in enumerate(messages))))


async def wait_for_jobs(
    resources: Resources, job_ids: list[str], timeout_seconds: float
) -> dict[str, JobRecord | None]:
    """Poll the job records until every job ended or the time is up."""
    deadline = time.monotonic() + timeout_seconds
    records: dict[str, JobRecord | None] = {}
    pending = list(job_ids)
    while pending and time.monotonic() < deadline:
        fetched = await asyncio.gather(*(resources.jobs.get(job_id) for job_id in pending))
        for job_id, record in zip(pending, fetched, strict=True):
            records[job_id] = record
        pending = [job_id for job_id in pending if not _ended(records[job_id])]
        if pending:
            await asyncio.sleep(1.0)
    return records


def _ended(record: JobRecord | None) -> bool:
    return record is not None and record.status in TERMINAL


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


@contextmanager
def load_client() -> Iterator[ProcessPoolExecutor]:
    """A process of its own for a load client, so that neither its CPU nor its pauses (e.g. a
    garbage collection over a benchmark's in-process models) count as the system's."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor
