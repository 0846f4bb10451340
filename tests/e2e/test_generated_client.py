"""A client generated from the running API's /openapi.json (openapi-python-client, in its own venv:
requirements/codegen.in) completes a chat against real API and worker processes."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import httpx
import pytest

from tests.constants import ROOT, unique_question

GENERATOR = ROOT / ".venv" / "codegen" / "bin" / "openapi-python-client"
PACKAGE = "izana_client"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not GENERATOR.exists(), reason=f"no {GENERATOR}: run make install"),
]


@pytest.fixture(scope="module")
def generated(api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    directory = tmp_path_factory.mktemp("codegen")
    schema = directory / "openapi.json"
    schema.write_text(json.dumps(httpx.get(f"{api}/openapi.json").json()))
    run = subprocess.run(
        [GENERATOR, "generate", "--path", schema, "--output-path", directory / PACKAGE,
         "--meta", "none"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{GENERATOR.parent}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stdout + run.stderr, run.stdout  # it took the whole schema
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))


async def test_a_generated_client_completes_a_chat(generated: ModuleType, api: str) -> None:
    sessions = importlib.import_module(f"{PACKAGE}.api.sessions.new_session")
    chat = importlib.import_module(f"{PACKAGE}.api.chat.chat")
    get_job = importlib.import_module(f"{PACKAGE}.api.jobs.get_job")
    models = importlib.import_module(f"{PACKAGE}.models")

    session = await sessions.asyncio(client=generated.Client(base_url=api))
    client = generated.AuthenticatedClient(base_url=api, token=session.token)
    question = unique_question("What are the symptoms of polycystic ovary syndrome?")
    accepted = await chat.asyncio(client=client, body=models.ChatIn(message=question))
    assert isinstance(accepted, models.QuestionAccepted), accepted
    for _ in range(600):
        job = await get_job.asyncio(client=client, job_id=accepted.job_id)
        if job.status == "complete":
            break
        await asyncio.sleep(0.1)
    assert job.status == "complete"
    assert "olycystic" in job.result["answer"]

    refused = await chat.asyncio_detailed(
        client=generated.AuthenticatedClient(base_url=api, token="not-a-session"),
        body=models.ChatIn(message=question),
    )
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.error.code == "session_invalid"
