"""The request id of a question reaches the worker: the worker's log lines of its job carry the
id of the HTTP request that created it (API and worker as separate processes)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from izana.embedded import ServiceUrls
from izana.processes import ApiProcess, start_api, start_izana, stop, wait_ready
from tests.constants import redis_database, unique_question
from tests.e2e.client import new_session, read_events
from tests.e2e.conftest import process_env

pytestmark = pytest.mark.e2e

OWN_DB = 10  # no other worker of the suite takes these jobs


@pytest.fixture
def logged_stack(
    service_urls: ServiceUrls, knowledge_base: int, tmp_path: Path
) -> Iterator[tuple[ApiProcess, Path]]:
    env = {
        **process_env(service_urls),
        "REDIS_URL": redis_database(service_urls.redis_url, OWN_DB),
        "LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "logs.jsonl"
    with log_path.open("wb") as log:
        api = start_api(env, log)
        worker = start_izana(["worker"], env, log)
        try:
            wait_ready(api)
            yield api, log_path
        finally:
            stop(worker)
            stop(api.process)


def json_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_a_chat_jobs_worker_log_lines_carry_its_request_id(
    logged_stack: tuple[ApiProcess, Path],
) -> None:
    api, log_path = logged_stack
    request_id = f"e2e-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api.base_url)
        response = await client.post(
            f"{api.base_url}/v1/chat",
            json={"message": unique_question("What is AMH?")},
            headers={**auth, "X-Request-ID": request_id},
        )
        assert response.status_code == 202, response.text
        assert response.headers["X-Request-ID"] == request_id
        job_id = response.json()["job_id"]
        events = await read_events(client, api.base_url + response.json()["events_url"])
    assert events[-1].type == "done"

    lines = json_lines(log_path)
    of_the_job = [line for line in lines if line.get("job_id") == job_id]
    worker_lines = [line for line in of_the_job if str(line["logger"]).startswith("worker.")]
    assert worker_lines, of_the_job
    assert all(line["request_id"] == request_id for line in worker_lines)
    # The API's access log line of the same request carries it too.
    assert any(
        line["logger"] == "izana.access" and line["request_id"] == request_id for line in lines
    )
