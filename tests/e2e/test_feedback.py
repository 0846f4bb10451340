"""POST /v1/feedback: a session rates its own answers, once each and changeably; nothing else."""

import uuid

import httpx
import pytest
from sqlmodel import col, select

from shared.db.models import Message
from shared.resources import Resources
from tests.constants import unique_question
from tests.e2e.client import ask, new_session, read_events

pytestmark = pytest.mark.e2e


async def answered(client: httpx.AsyncClient, api: str, auth: dict[str, str]) -> dict[str, str]:
    accepted = await ask(client, api, auth, unique_question("What is AMH?"))
    events = await read_events(client, api + accepted["events_url"])
    return {"job_id": accepted["job_id"], "message_id": events[-1].data["message_id"]}


async def stored_rating(resources: Resources, message_id: str) -> tuple[int | None, str | None]:
    async with resources.sessionmaker() as db:
        message = await db.get(Message, uuid.UUID(message_id))
    assert message is not None
    return message.rating, message.rating_reason


async def test_a_rating_is_stored_once_per_answer_and_can_be_changed(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        auth = await new_session(client, api)
        answer = await answered(client, api, auth)
        first = await client.post(
            f"{api}/v1/feedback",
            json={"message_id": answer["message_id"], "rating": 2, "reason": " too vague "},
            headers=auth,
        )
        assert first.status_code == 200, first.text
        assert first.json()["reason"] == "too vague"
        assert await stored_rating(resources, answer["message_id"]) == (2, "too vague")
        again = await client.post(
            f"{api}/v1/feedback",
            json={"message_id": answer["message_id"], "rating": 5},
            headers=auth,
        )
        assert again.status_code == 200, again.text
    assert await stored_rating(resources, answer["message_id"]) == (5, None)


async def test_only_the_sessions_own_answers_can_be_rated(api: str, resources: Resources) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        owner, stranger = await new_session(client, api), await new_session(client, api)
        answer = await answered(client, api, owner)
        async with resources.sessionmaker() as db:
            question_id = await db.scalar(
                select(col(Message.id)).where(
                    col(Message.job_id) == answer["job_id"], col(Message.role) == "user"
                )
            )
        refused = {
            "another session's answer": (stranger, answer["message_id"]),
            "a question": (owner, str(question_id)),
            "an unknown id": (owner, str(uuid.uuid4())),
        }
        for case, (auth, message_id) in refused.items():
            response = await client.post(
                f"{api}/v1/feedback", json={"message_id": message_id, "rating": 1}, headers=auth
            )
            assert response.status_code == 404, case
            assert response.json()["error"]["code"] == "message_not_found", case
        for rating in (0, 6, 4.5, "five"):
            response = await client.post(
                f"{api}/v1/feedback",
                json={"message_id": answer["message_id"], "rating": rating},
                headers=owner,
            )
            assert response.status_code == 422, rating
    assert await stored_rating(resources, answer["message_id"]) == (None, None)
