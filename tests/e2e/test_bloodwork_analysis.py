"""Upload → poll until ready → confirm edited values → the streamed analysis uses them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from shared.db.models import Message
from shared.resources import Resources
from tests.constants import ROOT
from tests.e2e.client import new_session, read_events
from tests.e2e.test_bloodwork import pending_report, read

pytestmark = pytest.mark.e2e

SAMPLE_PATH = ROOT / "data" / "samples" / "table_hormone_panel.pdf"
SAMPLE = SAMPLE_PATH.read_bytes()
EDITED_FSH = 17.3


def confirmed(markers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every extracted marker as the user confirms it, with FSH edited."""
    return [
        {
            "canonical_name": marker["canonical_name"],
            "value": EDITED_FSH if marker["canonical_name"] == "FSH" else marker["value"],
            "unit": marker["unit"],
        }
        for marker in markers
    ]


async def test_the_analysis_streams_the_edited_value_not_the_extracted_one(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        body, auth = await read(client, api, SAMPLE)
        assert body["status"] == "ready"
        extracted = next(m for m in body["markers"] if m["canonical_name"] == "FSH")
        assert extracted["value"] != EDITED_FSH
        response = await client.post(
            f"{api}/v1/bloodwork/{body['report_id']}/analysis",
            json={"markers": confirmed(body["markers"]), "treatment_stage": "before IVF"},
            headers=auth,
        )
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert set(accepted) == {"job_id", "conversation_id", "events_url", "status_url"}
        events = await read_events(client, f"{api}{accepted['events_url']}")
        status = await client.get(f"{api}{accepted['status_url']}", headers=auth)
        follow_up = await client.post(
            f"{api}/v1/chat",
            json={"message": "What can raise FSH?", "conversation_id": accepted["conversation_id"]},
            headers=auth,
        )
    assert events[-1].type == "done", events[-1]
    text = "".join(event.data["text"] for event in events if event.type == "token")
    assert f"FSH is {EDITED_FSH} mIU/mL, above the range on your report" in text
    assert f"FSH is {extracted['value']:g}" not in text
    done = events[-1].data
    assert done["mode"] == "extractive" and done["cached"] is False
    assert str(EDITED_FSH) in done["answer"]
    assert {"retrieving", "generating"} <= {
        event.data["stage"] for event in events if event.type == "status"
    }
    assert status.status_code == 200 and status.json()["status"] == "complete"
    # Stored like a chat answer: the job's result, and the conversation's history.
    assert status.json()["result"]["message_id"] == done["message_id"]
    assert status.json()["result"]["answer"] == done["answer"]
    question, answer = await messages(resources, accepted)
    assert f"FSH {EDITED_FSH} mIU/mL (high" in question.content and "before IVF" in question.content
    assert (answer.id, answer.content) == (uuid.UUID(done["message_id"]), done["answer"])
    assert follow_up.status_code == 202, follow_up.text


async def messages(resources: Resources, job: dict[str, str]) -> list[Message]:
    """The question and answer the analysis job stored in its conversation."""
    query = (
        select(Message)
        .where(
            col(Message.conversation_id) == uuid.UUID(job["conversation_id"]),
            col(Message.job_id) == job["job_id"],
        )
        .order_by(col(Message.created_at))
    )
    async with resources.sessionmaker() as db:
        return list((await db.execute(query)).scalars())


async def test_a_report_not_read_yet_cannot_be_analysed(api: str, resources: Resources) -> None:
    async with httpx.AsyncClient() as client:
        auth = await new_session(client, api)
        pending = await pending_report(resources, auth)
        response = await client.post(
            f"{api}/v1/bloodwork/{pending.id}/analysis",
            json={"markers": [{"canonical_name": "FSH", "value": 7.0, "unit": "mIU/mL"}]},
            headers=auth,
        )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "report_not_ready"


async def test_analysis_refuses_foreign_reports_and_bad_markers(api: str) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        body, auth = await read(client, api, SAMPLE)
        url = f"{api}/v1/bloodwork/{body['report_id']}/analysis"
        fsh = {"canonical_name": "FSH", "value": 7.0, "unit": "mIU/mL"}
        foreign = await client.post(
            url, json={"markers": [fsh]}, headers=await new_session(client, api)
        )
        unknown = await client.post(
            url,
            json={"markers": [{"canonical_name": "Unobtainium", "value": 1, "unit": "g/L"}]},
            headers=auth,
        )
        empty = await client.post(url, json={"markers": []}, headers=auth)
        others_conversation = await client.post(
            url, json={"markers": [fsh], "conversation_id": str(uuid.uuid4())}, headers=auth
        )
    assert foreign.status_code == 404, foreign.text
    assert foreign.json()["error"]["code"] == "report_not_found"
    assert unknown.status_code == 422, unknown.text
    assert empty.status_code == 422, empty.text
    assert others_conversation.status_code == 404, others_conversation.text
    assert others_conversation.json()["error"]["code"] == "conversation_not_found"
