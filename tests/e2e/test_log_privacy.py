"""Logs never carry provider keys, prompts, message text or lab values, even at debug level and
while providers fail (API and worker as separate processes, providers served by the emulator)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulator import RunningEmulator
from izana.embedded import ServiceUrls
from izana.processes import ApiProcess
from shared.providers.llm.prompts import DRAFT_SYSTEM
from tests.constants import redis_database
from tests.e2e.client import ask, new_session, read_events
from tests.e2e.conftest import logged_api_and_worker, process_env
from tests.e2e.test_bloodwork import read
from tests.e2e.test_bloodwork_analysis import EDITED_FSH, SAMPLE, SAMPLE_PATH, confirmed

pytestmark = pytest.mark.e2e

SECRET_KEYS = {
    "GROQ_API_KEY": "gsk-log-privacy-GROQ-0001",
    "OPENAI_API_KEY": "sk-log-privacy-OPENAI-0002",
    "COHERE_API_KEY": "co-log-privacy-COHERE-0003",
}
LOGGED_STACK_DB = 9
PRIVATE_WORDS = "Zephyrine Quillfeather"  # would identify the person if logged


@pytest.fixture
def logged_stack(
    service_urls: ServiceUrls, emulator: RunningEmulator, knowledge_base: int, tmp_path: Path
) -> Iterator[tuple[ApiProcess, Path]]:
    env = {
        **process_env(service_urls),
        # A Redis database of its own: the suite's other worker must not take these jobs.
        "REDIS_URL": redis_database(service_urls.redis_url, LOGGED_STACK_DB),
        **SECRET_KEYS,
        "GROQ_BASE_URL": emulator.url,
        "OPENAI_BASE_URL": f"{emulator.url}/v1",
        "COHERE_BASE_URL": emulator.url,
        "LOG_LEVEL": "DEBUG",
        "PROVIDER_MAX_ATTEMPTS": "2",
    }
    log_path = tmp_path / "logs.jsonl"
    with logged_api_and_worker(env, log_path) as api:
        yield api, log_path


async def test_keys_prompts_and_messages_stay_out_of_the_logs(
    logged_stack: tuple[ApiProcess, Path], emulator: RunningEmulator
) -> None:
    api, log_path = logged_stack
    asked = "how is my endometriosis treated, 3 years on?"
    message = f"My name is {PRIVATE_WORDS}; {asked} ({uuid.uuid4().int})"
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api.base_url)
        answered = await ask(client, api.base_url, auth, message)
        events_url = api.base_url + answered["events_url"]
        assert (await read_events(client, events_url))[-1].type == "done"
        # Cohere fails: the rerank falls back to the lexical one, with a warning logged.
        await emulator.configure(rate_500=1.0, fault_kinds=["rerank"])
        failing = await ask(client, api.base_url, auth, message.replace("3 years", "4 years"))
        events_url = api.base_url + failing["events_url"]
        assert (await read_events(client, events_url))[-1].type == "done"
    logs = log_path.read_text()
    assert '"level": "DEBUG"' in logs and '"level": "WARNING"' in logs  # the logs were written
    for secret in [
        *SECRET_KEYS.values(),
        PRIVATE_WORDS,
        "my endometriosis treated",
        DRAFT_SYSTEM[:40],
    ]:
        assert secret not in logs


async def test_lab_values_stay_out_of_the_logs(logged_stack: tuple[ApiProcess, Path]) -> None:
    """A report read by the model (through the emulator) and a generated analysis of an edited
    value, all logged at debug level: no value, range, report text or analysis question."""
    api, log_path = logged_stack
    async with httpx.AsyncClient(timeout=60) as client:
        report, auth = await read(client, api.base_url, SAMPLE)
        assert report["status"] == "ready" and report["markers"], report
        response = await client.post(
            f"{api.base_url}/v1/bloodwork/{report['report_id']}/analysis",
            json={"markers": confirmed(report["markers"])},
            headers=auth,
        )
        assert response.status_code == 202, response.text
        events = await read_events(client, api.base_url + response.json()["events_url"])
    assert events[-1].type == "done" and events[-1].data["mode"] == "generated"
    logs = log_path.read_text()
    assert '"level": "DEBUG"' in logs and "bloodwork" in logs  # the jobs were logged
    truth = json.loads(SAMPLE_PATH.with_suffix(".json").read_text())["markers"]
    private = [
        *(f"{m['reported_value']:g} {m['reported_unit']}" for m in truth),
        *(m["reference_range_text"] for m in truth),
        f"{EDITED_FSH} mIU/mL",
        "Explain these fertility blood test results",
        "Anti-Müllerian",
    ]
    for text in private:
        assert text not in logs
