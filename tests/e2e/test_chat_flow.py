"""A question through API → ARQ → worker → Redis Stream → SSE, with separate processes."""

import uuid

import httpx
import pytest
from arq.constants import job_key_prefix, result_key_prefix

from izana.processes import ApiProcess
from shared.db.models import Message
from shared.events import read_after
from shared.resources import Resources
from tests.constants import unique_question
from tests.e2e.client import Event, ask, new_session, read_events
from tests.integration.jobs import eventually

pytestmark = pytest.mark.e2e

QUESTION = "What are the symptoms of polycystic ovary syndrome?"


def assert_protocol_order(events: list[Event]) -> None:
    kinds = [event.type for event in events]
    assert kinds[0] == "status" and events[0].data["stage"] == "queued"
    first_token, last_token = kinds.index("token"), len(kinds) - 1 - kinds[::-1].index("token")
    assert set(kinds[:first_token]) == {"status"}
    assert set(kinds[first_token : last_token + 1]) == {"token"}
    assert kinds[last_token + 1 :] == ["citations", "suggestions", "done"]


def tokens(events: list[Event]) -> str:
    return "".join(event.data["text"] for event in events if event.type == "token")


async def test_a_question_streams_a_cited_answer_that_is_stored(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
        accepted = await ask(client, api, auth, unique_question(QUESTION))
        events = await read_events(client, api + accepted["events_url"])  # capability, no header
        job = (await client.get(api + accepted["status_url"], headers=auth)).json()

    assert_protocol_order(events)
    done = events[-1].data
    assert tokens(events) == done["answer"]
    assert "olycystic" in done["answer"]
    assert done["mode"] == "extractive" and done["cached"] is False
    citations = next(event.data for event in events if event.type == "citations")
    assert citations and all(c["title"] and c["url"].startswith("http") for c in citations)
    assert len(next(event.data for event in events if event.type == "suggestions")) == 3
    async with resources.sessionmaker() as db:
        stored = await db.get(Message, uuid.UUID(done["message_id"]))
    assert stored is not None
    assert (stored.content, stored.job_id) == (done["answer"], accepted["job_id"])
    assert str(stored.conversation_id) == accepted["conversation_id"]
    assert job["status"] == "complete" and job["result"]["answer"] == done["answer"]
    arq_job = job_key_prefix + accepted["job_id"]

    async def arq_finished() -> bool:
        return not await resources.redis.exists(arq_job)

    await eventually(arq_finished, "the worker told ARQ the job finished")
    # ARQ keeps no result of its own (a pickle with the question in it) beside the job's record.
    assert await resources.redis.exists(result_key_prefix + accepted["job_id"]) == 0


async def test_accept_event_stream_answers_in_the_same_response(api: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
        async with client.stream(
            "POST", f"{api}/v1/chat", json={"message": unique_question(QUESTION)},
            headers={**auth, "Accept": "text/event-stream"},
        ) as response:  # fmt: skip
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["x-accel-buffering"] == "no"
            body = (await response.aread()).decode()
    event_lines = [line for line in body.splitlines() if line.startswith("event: ")]
    assert "event: token" in event_lines and event_lines[-1] == "event: done"


async def test_a_dropped_stream_resumes_on_another_api_process(
    api_servers: list[ApiProcess], worker_process: None, resources: Resources
) -> None:
    first_api, second_api = (server.base_url for server in api_servers)
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, first_api)
        accepted = await ask(client, first_api, auth, unique_question(QUESTION))
        before = await read_events(client, first_api + accepted["events_url"], stop_after_tokens=2)
        after = await read_events(
            client, second_api + accepted["events_url"], headers={"Last-Event-ID": before[-1].id}
        )
    stream = await read_after(resources.redis, accepted["job_id"], "0-0", count=10_000)
    assert [e.id for e in before] + [e.id for e in after] == [e.id for e in stream]
    assert after[-1].type == "done"
    assert tokens(before) + tokens(after) == after[-1].data["answer"]


async def test_cancel_ends_the_stream_and_the_job(api: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
        accepted = await ask(client, api, auth, unique_question(QUESTION))
        url = api + accepted["events_url"]
        started = await read_events(client, url, stop_after_tokens=1)
        cancelled = await client.delete(api + accepted["status_url"], headers=auth)
        rest = await read_events(client, url, headers={"Last-Event-ID": started[-1].id})
        job = (await client.get(api + accepted["status_url"], headers=auth)).json()
        again = await client.delete(api + accepted["status_url"], headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert rest[-1].type == "error" and rest[-1].data["code"] == "cancelled"
    assert "done" not in [event.type for event in rest]
    assert job["status"] == "cancelled" and job["error"]["code"] == "cancelled"
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"
