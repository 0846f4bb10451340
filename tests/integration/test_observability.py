"""Metrics and traces through a chat: the API in this process (its lifespan on the test Redis
and Postgres), the job left queued, then run by a real worker in burst mode.

Each test has a Redis database of its own, so no other worker of the suite takes its jobs and
the queue holds only them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from emulator import RunningEmulator
from shared.config import Settings
from shared.observability.tracing import configure_tracing, stop_tracing
from tests.constants import redis_database, unique_question
from worker.http import WorkerHttp
from worker.runner import IzanaWorker
from worker.settings import worker_options

pytestmark = pytest.mark.integration

METRICS_DB = 11
TRACES_DB = 12


def own_redis(settings: Settings, db: int, **changes: Any) -> Settings:
    """`settings` on an emptied Redis database of its own."""
    redis_url = redis_database(settings.redis_url or "", db)
    return Settings.model_validate({**settings.model_dump(), "redis_url": redis_url, **changes})


async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on `app`, with its lifespan, from an address of its own (rate limits)."""
    ip = "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))
    async with app.router.lifespan_context(app):
        await app.state.resources.redis.flushdb()
        transport = httpx.ASGITransport(app, client=(ip, 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def run_queued_jobs(settings: Settings) -> None:
    """A worker that runs what is queued, then stops."""
    options = {**worker_options(settings), "burst": True, "handle_signals": False}
    worker = IzanaWorker(**options, lease_seconds=settings.job_lease_seconds, wake_on_enqueue=True)
    try:
        await worker.main()
    finally:
        await worker.close()


async def ask(client: httpx.AsyncClient, message: str, request_id: str) -> str:
    """A question admitted (202, not streamed); the URL of its job's status."""
    session = await client.post("/v1/sessions")
    client.headers["Authorization"] = f"Bearer {session.json()['token']}"
    headers = {"X-Request-ID": request_id}
    response = await client.post("/v1/chat", json={"message": message}, headers=headers)
    assert response.status_code == 202, response.text
    status_url: str = response.json()["status_url"]
    return status_url


async def job_status(client: httpx.AsyncClient, status_url: str) -> str:
    response = await client.get(status_url)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return samples.get((name, frozenset(labels.items())), 0.0)


CHAT = {"job": "chat.answer"}


async def test_metrics_follow_a_chat_from_queue_to_answer(
    settings: Settings, knowledge_base: int
) -> None:
    own = own_redis(settings, METRICS_DB)
    async for client in serving(create_app(own)):
        before = await scrape(client)
        assert value(before, "izana_queue_depth") == 0

        status_url = await ask(client, unique_question("What is endometriosis?"), "metrics-test")
        waiting = await scrape(client)
        assert value(waiting, "izana_queue_depth") == 1
        assert value(waiting, "izana_queue_oldest_age_seconds") >= 0

        await run_queued_jobs(own)
        assert await job_status(client, status_url) == "complete"
        after = await scrape(client)

    assert value(after, "izana_queue_depth") == 0
    ended = {**CHAT, "outcome": "complete", "code": ""}
    assert value(after, "izana_job_outcomes_total", **ended) == (
        value(before, "izana_job_outcomes_total", **ended) + 1
    )
    for histogram in ("queue_wait", "time_to_first_token", "answer"):
        name = f"izana_job_{histogram}_seconds_count"
        assert value(after, name, **CHAT) == value(before, name, **CHAT) + 1, name
    answered = value(after, "izana_answers_total", source="pipeline")
    assert answered == value(before, "izana_answers_total", source="pipeline") + 1


async def test_a_refused_request_is_counted_by_its_policy(settings: Settings) -> None:
    own = own_redis(settings, METRICS_DB, rate_limit_general="2/minute")
    async for client in serving(create_app(own)):
        before = await scrape(client)
        statuses = [(await client.post("/v1/sessions")).status_code for _ in range(3)]
        after = await scrape(client)
    assert statuses == [201, 201, 429]
    refused = value(after, "izana_rate_limited_total", policy="general")
    assert refused == value(before, "izana_rate_limited_total", policy="general") + 1


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for this test only."""
    exporter = InMemorySpanExporter()
    assert configure_tracing("izana-test", None, exporter) is not None
    try:
        yield exporter
    finally:
        stop_tracing()


async def test_one_trace_spans_the_request_the_job_and_a_provider_call(
    settings: Settings, knowledge_base: int, emulator: RunningEmulator,
    spans: InMemorySpanExporter,
) -> None:  # fmt: skip
    # Groq (the emulator) drafts, reviews and translates; retrieval stays local.
    own = own_redis(
        settings, TRACES_DB, groq_api_key="sk-trace-test", groq_base_url=emulator.url,
        provider_max_attempts=1,
    )  # fmt: skip
    calls_before = groq_calls()
    async for client in serving(create_app(own)):
        status_url = await ask(client, unique_question("What is endometriosis?"), "trace-test")
        await run_queued_jobs(own)
        assert await job_status(client, status_url) == "complete"
    assert groq_calls() > calls_before  # counted by the guard too

    finished = spans.get_finished_spans()
    request = one(finished, lambda s: s.name == "POST /v1/chat" and s.parent is None)
    trace_id = request.context.trace_id
    job = one(finished, lambda s: s.name == "job chat.answer")
    provider = [s for s in finished if s.name == "provider draft"]
    assert job.context.trace_id == trace_id
    assert provider, [s.name for s in finished]
    assert all(s.context.trace_id == trace_id for s in provider)
    http_calls = [s for s in finished if s.kind.name == "CLIENT" and s.name.startswith("POST")]
    assert any(s.context.trace_id == trace_id for s in http_calls)
    assert request.attributes is not None and request.attributes["izana.request_id"] == (
        "trace-test"
    )


def groq_calls() -> float:
    """Successful calls to Groq's models so far, in this process's metrics."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "izana_provider_calls"
        for sample in family.samples
        if sample.name == "izana_provider_calls_total"
        and sample.labels.get("provider") == "groq"
        and sample.labels.get("status") == "ok"
    )


def one(spans: tuple[ReadableSpan, ...], matches: Any) -> ReadableSpan:
    found = [span for span in spans if matches(span)]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


async def test_the_worker_port_serves_metrics_and_probes() -> None:
    readiness = {"ready": False}

    async def ready() -> bool:
        return readiness["ready"]

    http = WorkerHttp(0, ready, "127.0.0.1")
    await http.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}") as client:
            assert (await client.get("/livez")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
            readiness["ready"] = True
            assert (await client.get("/readyz")).status_code == 200
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200
            assert "izana_job_outcomes_total" in metrics.text
            assert (await client.get("/other")).status_code == 404
    finally:
        await http.stop()
