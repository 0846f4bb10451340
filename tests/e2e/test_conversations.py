"""The session's conversations through real API and worker processes: listed newest first a
page at a time, read with their answers' citations and ratings, erased with all derived from
them; another session sees none of it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from shared.db.models import Conversation, KnowledgeGap, LabReport, Message
from shared.events import stream_key
from shared.jobs import job_key
from shared.resources import Resources
from tests.constants import unique_question
from tests.e2e.client import new_session, read_events
from tests.e2e.test_bloodwork import A_REPORT, read

pytestmark = pytest.mark.e2e

UNANSWERABLE = "How do I repair the gearbox of a 1967 tractor?"  # logged as a knowledge gap


async def ask_in(
    client: httpx.AsyncClient,
    api: str,
    auth: dict[str, str],
    message: str,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """The question's answer (`done`), after the stream ended, with its job and conversation."""
    body = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
    accepted = (await client.post(f"{api}/v1/chat", json=body, headers=auth)).json()
    events = await read_events(client, api + accepted["events_url"])
    assert events[-1].type == "done", events[-1]
    return events[-1].data | {
        "job_id": accepted["job_id"],
        "conversation_id": accepted["conversation_id"],
    }


async def listed(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], limit: int
) -> list[dict[str, Any]]:
    """Every conversation of the session, following the cursor page by page."""
    conversations: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = await client.get(f"{api}/v1/conversations", params=params, headers=auth)
        assert page.status_code == 200, page.text
        conversations += page.json()["conversations"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return conversations


async def test_conversations_are_listed_newest_first_and_read_with_their_answers(
    api: str,
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        auth = await new_session(client, api)
        first = await ask_in(client, api, auth, unique_question("What is endometriosis?"))
        again = await ask_in(client, api, auth, "How is it treated?", first["conversation_id"])
        others = [
            await ask_in(client, api, auth, unique_question(q))
            for q in ("What is IVF?", "What is PCOS?")
        ]
        rated = await client.post(
            f"{api}/v1/feedback",
            json={"message_id": again["message_id"], "rating": 4},
            headers=auth,
        )
        assert rated.status_code == 200
        conversations = await listed(client, api, auth, limit=2)
        detail = (
            await client.get(f"{api}/v1/conversations/{first['conversation_id']}", headers=auth)
        ).json()

    order = [others[1], others[0], first]
    assert [c["id"] for c in conversations] == [done["conversation_id"] for done in order]
    assert conversations[-1]["messages"] == 4 and conversations[-1]["title"].startswith(
        "What is endometriosis?"
    )
    messages = detail["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "How is it treated?" and messages[2]["mode"] is None
    answer = messages[3]
    assert answer["id"] == again["message_id"] and answer["content"] == again["answer"]
    assert answer["mode"] == "extractive" and answer["language"] == "en" and answer["citations"]
    assert (answer["rating"], messages[1]["rating"]) == (4, None)


async def test_a_bad_cursor_or_page_size_is_refused(api: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
        responses = {
            "invalid_cursor": await client.get(
                f"{api}/v1/conversations?cursor=not-a-cursor", headers=auth
            ),
            "validation_error": await client.get(f"{api}/v1/conversations?limit=0", headers=auth),
        }
    for code, response in responses.items():
        assert response.json()["error"]["code"] == code, response.text
    assert responses["invalid_cursor"].status_code == 400


async def derived_rows(
    resources: Resources, conversation: uuid.UUID, job_ids: list[str]
) -> dict[str, int]:
    counts = {
        "conversation": select(func.count()).where(col(Conversation.id) == conversation),
        "messages": select(func.count()).where(col(Message.job_id).in_(job_ids)),
        "gaps": select(func.count()).where(col(KnowledgeGap.job_id).in_(job_ids)),
        "reports": select(func.count()).where(col(LabReport.job_id).in_(job_ids)),
    }
    async with resources.sessionmaker() as db:
        return {name: int(await db.scalar(query) or 0) for name, query in counts.items()}


async def redis_keys(resources: Resources, job_ids: list[str]) -> int:
    keys = [key for job_id in job_ids for key in (job_key(job_id), stream_key(job_id))]
    return int(await resources.redis.exists(*keys))


async def test_deleting_a_conversation_erases_what_came_of_it_and_nothing_else(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        report, auth = await read(client, api, A_REPORT)
        gap = await ask_in(client, api, auth, unique_question(UNANSWERABLE))
        conversation = gap["conversation_id"]
        fsh = {"canonical_name": "FSH", "value": 9.1, "unit": "mIU/mL"}
        analysis = await client.post(
            f"{api}/v1/bloodwork/{report['report_id']}/analysis",
            json={"markers": [fsh], "conversation_id": conversation},
            headers=auth,
        )
        assert (await read_events(client, api + analysis.json()["events_url"]))[-1].type == "done"
        kept = await ask_in(client, api, auth, unique_question("What is AMH?"))
        async with resources.sessionmaker() as db:
            reading = await db.get(LabReport, uuid.UUID(report["report_id"]))
        assert reading is not None
        job_ids = [gap["job_id"], analysis.json()["job_id"], reading.job_id]
        before = await derived_rows(resources, uuid.UUID(conversation), job_ids)
        deleted = await client.delete(f"{api}/v1/conversations/{conversation}", headers=auth)
        gone = await client.get(f"{api}/v1/conversations/{conversation}", headers=auth)
        report_after = await client.get(f"{api}/v1/bloodwork/{report['report_id']}", headers=auth)
        remaining = await listed(client, api, auth, limit=20)

    assert before == {"conversation": 1, "messages": 4, "gaps": 1, "reports": 1}
    assert deleted.status_code == 204
    assert gone.status_code == 404 and report_after.status_code == 404
    assert await derived_rows(resources, uuid.UUID(conversation), job_ids) == dict.fromkeys(
        before, 0
    )
    assert await redis_keys(resources, job_ids) == 0
    assert [c["id"] for c in remaining] == [kept["conversation_id"]]


async def test_another_sessions_conversations_are_not_found(api: str) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        owner, stranger = await new_session(client, api), await new_session(client, api)
        done = await ask_in(client, api, owner, unique_question("What is AMH?"))
        conversation = f"{api}/v1/conversations/{done['conversation_id']}"
        listing = await client.get(f"{api}/v1/conversations", headers=stranger)
        read_back = await client.get(conversation, headers=stranger)
        deleted = await client.delete(conversation, headers=stranger)
        still_there = await client.get(conversation, headers=owner)
    assert listing.json()["conversations"] == []
    for response in (read_back, deleted):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "conversation_not_found"
    assert still_there.status_code == 200
