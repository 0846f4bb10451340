"""The Python client of docs/clients.md, run as written against real API and worker processes:
submit, stream, resume after a drop, and poll a blood-work upload."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.constants import unique_question

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENTS_DOC = REPO_ROOT / "docs" / "clients.md"
SAMPLE = REPO_ROOT / "data" / "samples" / "table_hormone_panel.pdf"


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    """The functions of the doc's first Python block."""
    block = re.search(r"```python\n(.*?)```", CLIENTS_DOC.read_text(), re.DOTALL)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(compile(block[1], str(CLIENTS_DOC), "exec"), namespace)
    return namespace


@pytest.fixture
def api_client(api: str, example: dict[str, Any]) -> httpx.Client:
    client = httpx.Client(base_url=api, timeout=30)
    example["new_session"](client)
    return client


def test_submit_and_stream(api_client: httpx.Client, example: dict[str, Any]) -> None:
    job = example["submit"](api_client, unique_question("What are the symptoms of PCOS?"))
    answer = example["stream"](api_client, job["events_url"])
    assert answer["done"] is not None and answer["text"] == answer["done"]["answer"]


def test_a_resumed_stream_repeats_no_token(
    api_client: httpx.Client, example: dict[str, Any]
) -> None:
    job = example["submit"](api_client, unique_question("What are the symptoms of PCOS?"))
    whole = example["stream"](api_client, job["events_url"])
    first_token = _first_token_id(api_client, job["events_url"])
    resumed = example["stream"](api_client, job["events_url"], first_token["id"])
    assert first_token["text"] + resumed["text"] == whole["text"]


def _first_token_id(client: httpx.Client, events_url: str) -> dict[str, str]:
    """The id and text of the stream's first token, as a client that dropped after it has."""
    with client.stream("GET", events_url) as response:
        lines = response.iter_lines()
        event_id = ""
        for line in lines:
            if line.startswith("id: "):
                event_id = line[4:]
            elif line == "event: token":
                data = json.loads(next(lines).removeprefix("data: "))
                return {"id": event_id, "text": data["text"]}
    raise AssertionError("no token")


def test_upload_and_poll(api_client: httpx.Client, example: dict[str, Any]) -> None:
    report = example["upload_and_poll"](api_client, SAMPLE.read_bytes())
    assert report["status"] == "ready" and report["markers"]
