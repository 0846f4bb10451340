"""`DELETE /v1/sessions/current`: a session's conversations, reports, uploads and jobs are gone,
a running answer is cancelled, and other sessions keep theirs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from izana.processes import ApiProcess
from shared.db.models import Conversation, KnowledgeGap, LabReport, Message, UserSession
from shared.events import stream_key
from shared.jobs import job_key
from shared.resources import Resources
from tests.constants import unique_question
from tests.e2e.client import ask, new_session, read_events
from tests.e2e.test_bloodwork import A_REPORT, read, session_id

pytestmark = pytest.mark.e2e

QUESTION = "What are the symptoms of polycystic ovary syndrome?"
UNANSWERABLE = "How do I repair the gearbox of a 1967 tractor?"  # logged as a knowledge gap


async def answered(client: httpx.AsyncClient, api: str, auth: dict[str, str], text: str) -> str:
    accepted = await ask(client, api, auth, unique_question(text))
    events = await read_events(client, api + accepted["events_url"])
    assert events[-1].type == "done", events[-1]
    return str(accepted["job_id"])


async def rows_of(resources: Resources, session: uuid.UUID, job_ids: list[str]) -> dict[str, int]:
    counts = {
        "session": select(func.count()).where(col(UserSession.id) == session),
        "conversations": select(func.count()).where(col(Conversation.session_id) == session),
        "reports": select(func.count()).where(col(LabReport.session_id) == session),
        "messages": select(func.count()).where(col(Message.job_id).in_(job_ids)),
        "gaps": select(func.count()).where(col(KnowledgeGap.job_id).in_(job_ids)),
    }
    async with resources.sessionmaker() as db:
        return {name: int(await db.scalar(query) or 0) for name, query in counts.items()}


async def redis_keys(resources: Resources, job_ids: list[str]) -> int:
    keys = [key for job_id in job_ids for key in (job_key(job_id), stream_key(job_id))]
    return int(await resources.redis.exists(*keys))


async def a_full_session(
    client: httpx.AsyncClient, api: str, resources: Resources
) -> tuple[dict[str, str], uuid.UUID, list[str]]:
    """A session with two answers (one a knowledge gap), a report and its analysis."""
    report, auth = await read(client, api, A_REPORT)
    asked = [await answered(client, api, auth, text) for text in (QUESTION, UNANSWERABLE)]
    fsh: dict[str, Any] = {"canonical_name": "FSH", "value": 9.1, "unit": "mIU/mL"}
    analysis = await client.post(
        f"{api}/v1/bloodwork/{report['report_id']}/analysis", json={"markers": [fsh]}, headers=auth
    )
    assert analysis.status_code == 202, analysis.text
    assert (await read_events(client, api + analysis.json()["events_url"]))[-1].type == "done"
    return auth, await session_id(resources, auth), [*asked, analysis.json()["job_id"]]


async def test_erasing_a_session_leaves_nothing_of_it(api: str, resources: Resources) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        auth, erased, job_ids = await a_full_session(client, api, resources)
        kept_auth, kept, kept_jobs = await a_full_session(client, api, resources)
        before = await rows_of(resources, erased, job_ids)
        assert before["gaps"] == 1 and before["reports"] == 1 and before["messages"] == 6
        assert await redis_keys(resources, job_ids) == 2 * len(job_ids)
        deleted = await client.delete(f"{api}/v1/sessions/current", headers=auth)
        after_token = await client.get(f"{api}/v1/jobs/{job_ids[0]}", headers=auth)
        kept_job = await client.get(f"{api}/v1/jobs/{kept_jobs[0]}", headers=kept_auth)
    assert deleted.status_code == 204 and deleted.content == b""
    assert after_token.status_code == 401  # the token went with the session
    assert set((await rows_of(resources, erased, job_ids)).values()) == {0}
    assert await redis_keys(resources, job_ids) == 0
    assert await rows_of(resources, kept, kept_jobs) == before
    assert kept_job.status_code == 200 and kept_job.json()["status"] == "complete"


async def test_erasing_during_an_answer_cancels_it_and_nothing_is_written_back(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        auth = await new_session(client, api)
        erased = await session_id(resources, auth)
        accepted = await ask(client, api, auth, unique_question(QUESTION))
        await read_events(client, api + accepted["events_url"], stop_after_tokens=1)
        deleted = await client.delete(f"{api}/v1/sessions/current", headers=auth)
        # Long enough for the answer to have finished had it not been cancelled.
        await asyncio.sleep(3)
        later = await answered(client, api, await new_session(client, api), QUESTION)
    assert deleted.status_code == 204
    assert set((await rows_of(resources, erased, [accepted["job_id"]])).values()) == {0}
    assert await resources.jobs.get(accepted["job_id"]) is None
    assert later  # the worker is still answering others


async def test_an_erased_token_stops_working_at_once_on_every_api_process(
    api_servers: list[ApiProcess], api: str
) -> None:
    """Each API process remembers sessions it found; erasing on one is felt at once on all."""
    first, second = (server.base_url for server in api_servers)
    async with httpx.AsyncClient(timeout=60) as client:
        auth = await new_session(client, first)
        for base_url in (first, second, first, second):  # found, then remembered, on both
            await ask(client, base_url, auth, unique_question(QUESTION))
        deleted = await client.delete(f"{first}/v1/sessions/current", headers=auth)
        refused = [
            await client.post(f"{second}/v1/chat", json={"message": QUESTION}, headers=auth),
            await client.get(f"{second}/v1/jobs/{uuid.uuid4().hex}", headers=auth),
            await client.post(f"{first}/v1/chat", json={"message": QUESTION}, headers=auth),
        ]
    assert deleted.status_code == 204
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [
        (401, "session_invalid")
    ] * 3
