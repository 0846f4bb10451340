"""Observability of a running stack (API and worker as separate processes): the request id of
a question reaches the worker's log lines of its job, the API counts the SSE streams it relays,
and the worker serves metrics and probes on a port of its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse
from prometheus_client.parser import text_string_to_metric_families

from izana.embedded import ServiceUrls
from izana.processes import ApiProcess, free_port
from tests.constants import redis_database, unique_question
from tests.e2e.client import new_session, read_events
from tests.e2e.conftest import logged_api_and_worker, process_env

pytestmark = pytest.mark.e2e

OWN_DB = 10  # no other worker of the suite takes these jobs


@dataclass(frozen=True)
class Stack:
    api: ApiProcess
    worker_url: str
    log_path: Path


@pytest.fixture
def stack(service_urls: ServiceUrls, knowledge_base: int, tmp_path: Path) -> Iterator[Stack]:
    worker_port = free_port()
    env = {
        **process_env(service_urls),
        "REDIS_URL": redis_database(service_urls.redis_url, OWN_DB),
        "LOG_LEVEL": "INFO",
        "WORKER_METRICS_PORT": str(worker_port),
    }
    log_path = tmp_path / "logs.jsonl"
    with logged_api_and_worker(env, log_path) as api:
        yield Stack(api, f"http://127.0.0.1:{worker_port}", log_path)


def json_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


async def gauge(client: httpx.AsyncClient, url: str, name: str) -> float:
    response = await client.get(url)
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not in {url}")


async def test_a_chat_jobs_worker_log_lines_carry_its_request_id(stack: Stack) -> None:
    base_url = stack.api.base_url
    request_id = f"e2e-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, base_url)
        response = await client.post(
            f"{base_url}/v1/chat",
            json={"message": unique_question("What is AMH?")},
            headers={**auth, "X-Request-ID": request_id},
        )
        assert response.status_code == 202, response.text
        assert response.headers["X-Request-ID"] == request_id
        job_id = response.json()["job_id"]
        events = await read_events(client, base_url + response.json()["events_url"])
    assert events[-1].type == "done"

    lines = json_lines(stack.log_path)
    of_the_job = [line for line in lines if line.get("job_id") == job_id]
    worker_lines = [line for line in of_the_job if str(line["logger"]).startswith("worker.")]
    assert worker_lines, of_the_job
    assert all(line["request_id"] == request_id for line in worker_lines)
    # The API's access log line of the same request carries it too.
    assert any(
        line["logger"] == "izana.access" and line["request_id"] == request_id for line in lines
    )


async def test_the_api_counts_the_streams_it_relays(stack: Stack) -> None:
    base_url, metrics = stack.api.base_url, f"{stack.api.base_url}/metrics"
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, base_url)
        response = await client.post(
            f"{base_url}/v1/chat",
            json={"message": unique_question("What is endometriosis?")},
            headers=auth,
        )
        assert response.status_code == 202, response.text
        assert await gauge(client, metrics, "izana_sse_streams_open") == 0
        url = base_url + response.json()["events_url"]
        seen: list[str] = []
        async with aconnect_sse(client, "GET", url) as source:
            async for sse in source.aiter_sse():
                if sse.event == "token" and "token" not in seen:  # paced: still streaming
                    assert await gauge(client, metrics, "izana_sse_streams_open") == 1
                seen.append(sse.event)
                if sse.event in {"done", "error"}:
                    break
    assert "token" in seen and seen[-1] == "done"


async def test_the_worker_serves_metrics_and_probes(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.worker_url, timeout=10) as client:
        assert (await client.get("/livez")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        assert await gauge(client, "/metrics", "izana_queue_depth") == 0
