"""Gold answers through the API and a worker: a 5-star answer is replayed to a paraphrase asked in
another session, and no more once an admin revokes it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.client import ask, new_session, read_events
from tests.e2e.test_admin_reindex import admin_headers

pytestmark = pytest.mark.e2e


async def asked(client: httpx.AsyncClient, api: str, question: str) -> dict[str, Any]:
    """The `done` of `question`, asked in a new session."""
    auth = await new_session(client, api)
    accepted = await ask(client, api, auth, question)
    done = (await read_events(client, api + accepted["events_url"]))[-1]
    assert done.type == "done", done
    return {**done.data, "auth": auth}


async def listed(client: httpx.AsyncClient, api: str, admin: dict[str, str]) -> list[Any]:
    response = await client.get(f"{api}/v1/admin/gold", headers=admin)
    assert response.status_code == 200, response.text
    page: list[Any] = response.json()["gold_answers"]
    return page


async def test_a_rated_answer_is_replayed_to_a_paraphrase_until_an_admin_revokes_it(
    api: str,
) -> None:
    ref = f"ref {uuid.uuid4().hex[:8]}7"  # this test's own: no other gold answer has it
    async with httpx.AsyncClient(timeout=60) as client:
        original = await asked(client, api, f"What is a normal AMH level? ({ref})")
        assert original["cached"] is False
        rated = await client.post(
            f"{api}/v1/feedback",
            json={"message_id": original["message_id"], "rating": 5},
            headers=original["auth"],
        )
        assert rated.status_code == 200, rated.text

        replayed = await asked(client, api, f"What's a normal AMH level? ({ref})")
        assert replayed["cached"] == "gold"
        assert replayed["answer"] == original["answer"]

        admin = await admin_headers(client, api)
        (gold,) = [g for g in await listed(client, api, admin) if ref in g["question"]]
        assert gold["message_id"] == original["message_id"] and gold["revoked_at"] is None
        revoked = await client.delete(f"{api}/v1/admin/gold/{gold['id']}", headers=admin)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        again = await client.delete(f"{api}/v1/admin/gold/{gold['id']}", headers=admin)
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

        after = await asked(client, api, f"What is the normal range for AMH? ({ref})")
    assert after["cached"] is False


async def rated_gold(client: httpx.AsyncClient, api: str, question: str) -> str:
    """The message id of `question`'s answer, rated 5: a gold answer."""
    done = await asked(client, api, question)
    rating = {"message_id": done["message_id"], "rating": 5}
    rated = await client.post(f"{api}/v1/feedback", json=rating, headers=done["auth"])
    assert rated.status_code == 200, rated.text
    return str(done["message_id"])


async def test_admins_page_through_gold_answers_newest_first(api: str) -> None:
    ref = f"ref {uuid.uuid4().hex[:8]}7"
    async with httpx.AsyncClient(timeout=60) as client:
        older = await rated_gold(client, api, f"What causes endometriosis? ({ref})")
        newer = await rated_gold(client, api, f"What are the symptoms of PCOS? ({ref})")
        admin = await admin_headers(client, api)
        first = await client.get(f"{api}/v1/admin/gold", params={"limit": 1}, headers=admin)
        assert first.status_code == 200, first.text
        cursor = first.json()["next_cursor"]
        second = await client.get(
            f"{api}/v1/admin/gold", params={"limit": 1, "cursor": cursor}, headers=admin
        )
    pages = [first.json()["gold_answers"], second.json()["gold_answers"]]
    assert [[gold["message_id"] for gold in page] for page in pages] == [[newer], [older]]


async def test_unknown_gold_answers_bad_cursors_and_non_admins_are_refused(api: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await admin_headers(client, api)
        unknown = await client.delete(f"{api}/v1/admin/gold/{uuid.uuid4()}", headers=admin)
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "gold_answer_not_found"
        malformed = await client.delete(f"{api}/v1/admin/gold/not-an-id", headers=admin)
        assert malformed.status_code == 422
        cursor = await client.get(f"{api}/v1/admin/gold?cursor=nonsense", headers=admin)
        assert cursor.status_code == 400 and cursor.json()["error"]["code"] == "invalid_cursor"
        session = await new_session(client, api)
        refused = await client.get(f"{api}/v1/admin/gold", headers=session)
    assert refused.status_code == 401
