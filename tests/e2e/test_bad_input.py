"""Bad input gets the right 4xx with the JSON error shape, never a 500."""

import time
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from api.capability import SALT
from tests.constants import TEST_SECRET
from tests.e2e.client import ask, new_session

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code


class HourOldSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


@pytest.fixture
async def client() -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


@pytest.fixture
async def auth(client: httpx.AsyncClient, api: str) -> dict[str, str]:
    return await new_session(client, api)


@pytest.fixture
async def job(client: httpx.AsyncClient, api: str, auth: dict[str, str]) -> dict[str, Any]:
    return await ask(client, api, auth, "What is AMH?")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 422, "validation_error"),
        ({"message": "   \n "}, 422, "validation_error"),
        ({"message": "x" * 10_000}, 422, "message_too_long"),
        ({}, 422, "validation_error"),
        ({"message": 42}, 422, "validation_error"),
        ({"message": "hi", "language": "klingon"}, 422, "validation_error"),
        ({"message": "hi", "unexpected": True}, 422, "validation_error"),
        ({"message": "hi", "conversation_id": "not-a-uuid"}, 422, "validation_error"),
        ({"message": "hi", "conversation_id": "6f1c1f43-1b35-4a8e-9d1e-0c3a8d7f0e11"}, 404,
         "conversation_not_found"),
    ],
)  # fmt: skip
async def test_bad_chat_bodies(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], body: Any, status: int, code: str
) -> None:
    assert_error(await client.post(f"{api}/v1/chat", json=body, headers=auth), status, code)


async def test_invalid_json(client: httpx.AsyncClient, api: str, auth: dict[str, str]) -> None:
    response = await client.post(
        f"{api}/v1/chat", content=b'{"message": "hi"', headers={**auth, **JSON}
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_wrong_content_type(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], content_type: str | None
) -> None:
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    response = await client.post(f"{api}/v1/chat", content=b'{"message":"hi"}', headers=headers)
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer"]
)
async def test_chat_needs_a_valid_session(
    client: httpx.AsyncClient, api: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert_error(await client.post(f"{api}/v1/chat", json={"message": "hi"}, headers=headers), 401)


@pytest.mark.parametrize("job_id", ["0" * 32, "not-a-job", "../../etc/passwd"])
async def test_unknown_jobs(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], job_id: str
) -> None:
    assert_error(await client.get(f"{api}/v1/jobs/{job_id}", headers=auth), 404)
    assert_error(await client.delete(f"{api}/v1/jobs/{job_id}", headers=auth), 404)
    assert_error(await client.get(f"{api}/v1/jobs/{job_id}/events", headers=auth), 404)


async def test_another_sessions_job_is_not_found(
    client: httpx.AsyncClient, api: str, job: dict[str, Any]
) -> None:
    stranger = await new_session(client, api)
    assert_error(await client.get(api + job["status_url"], headers=stranger), 404, "job_not_found")
    assert_error(await client.delete(api + job["status_url"], headers=stranger), 404)


@pytest.mark.parametrize("last_event_id", ["abc", "1-2-3", "-1", "1795636183027"])
async def test_malformed_last_event_id(
    client: httpx.AsyncClient, api: str, job: dict[str, Any], last_event_id: str
) -> None:
    response = await client.get(api + job["events_url"], headers={"Last-Event-ID": last_event_id})
    assert_error(response, 400, "invalid_last_event_id")


async def test_expired_events_url(client: httpx.AsyncClient, api: str, job: dict[str, Any]) -> None:
    old = URLSafeTimedSerializer(TEST_SECRET, salt=SALT, signer=HourOldSigner).dumps(job["job_id"])
    response = await client.get(f"{api}/v1/jobs/{job['job_id']}/events", params={"token": old})
    assert_error(response, 401, "events_token_expired")


async def test_forged_events_url(client: httpx.AsyncClient, api: str, job: dict[str, Any]) -> None:
    forged = URLSafeTimedSerializer("guessed-secret", salt=SALT).dumps(job["job_id"])
    url = f"{api}/v1/jobs/{job['job_id']}/events"
    assert_error(await client.get(url, params={"token": forged}), 403, "events_token_invalid")
    tampered = job["events_url"][:-2] + ("AA" if not job["events_url"].endswith("AA") else "BB")
    assert_error(await client.get(api + tampered), 403, "events_token_invalid")


async def test_events_url_of_another_job(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], job: dict[str, Any]
) -> None:
    other = await ask(client, api, auth, "What is FSH?")
    token = other["events_url"].split("token=")[1]
    response = await client.get(f"{api}/v1/jobs/{job['job_id']}/events", params={"token": token})
    assert_error(response, 403, "events_token_invalid")


async def test_events_need_a_capability_or_session(
    client: httpx.AsyncClient, api: str, job: dict[str, Any]
) -> None:
    assert_error(await client.get(f"{api}/v1/jobs/{job['job_id']}/events"), 401, "unauthorized")


async def test_unknown_route_and_method(client: httpx.AsyncClient, api: str) -> None:
    assert_error(await client.get(f"{api}/v1/nothing-here"), 404, "not_found")
    assert_error(await client.put(f"{api}/v1/sessions"), 405, "method_not_allowed")
