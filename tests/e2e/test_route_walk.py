"""Every route of the OpenAPI schema, walked by a second session against the first one's
conversation, answer, job and lab report: it reads, lists, rates, cancels, resumes and deletes
none of them (404), and no admin route answers without an admin token. A route the walk does
not know fails it, so each new route is classified here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.constants import unique_question
from tests.e2e.client import read_events
from tests.e2e.test_bloodwork import A_REPORT, read

pytestmark = pytest.mark.e2e

# Routes that hold nothing of any session.
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/v1/sessions"),
    ("get", "/v1/languages"),
    ("get", "/v1/models"),
}
ADMIN_PREFIX = "/v1/admin/"
ADMIN_LOGIN = ("post", "/v1/admin/login")


@dataclass(frozen=True)
class Owned:
    """What session A has: an answered question and a read lab report."""

    auth: dict[str, str]
    job_id: str
    conversation_id: str
    message_id: str
    report_id: str

    def path_values(self) -> dict[str, str]:
        return {
            "job_id": self.job_id,
            "conversation_id": self.conversation_id,
            "report_id": self.report_id,
        }


@dataclass(frozen=True)
class Probe:
    """Session B's attempt on A's data, and the status that shows it got nothing."""

    json: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    status: int = 404


def probes(owned: Owned) -> dict[tuple[str, str], Probe]:
    """B's request on each session route, with A's ids in its path or body."""
    fsh = {"canonical_name": "FSH", "value": 9.1, "unit": "mIU/mL"}
    return {
        ("get", "/v1/jobs/{job_id}"): Probe(),
        ("delete", "/v1/jobs/{job_id}"): Probe(),
        ("get", "/v1/jobs/{job_id}/events"): Probe(headers={"Last-Event-ID": "0-0"}),
        ("get", "/v1/conversations/{conversation_id}"): Probe(),
        ("delete", "/v1/conversations/{conversation_id}"): Probe(),
        ("post", "/v1/chat"): Probe(
            json={"message": "And the symptoms?", "conversation_id": owned.conversation_id}
        ),
        ("post", "/v1/chat/completions"): Probe(
            json={
                "model": "izana",
                "messages": [{"role": "user", "content": "And the symptoms?"}],
                "conversation_id": owned.conversation_id,
            }
        ),
        ("post", "/v1/feedback"): Probe(json={"message_id": owned.message_id, "rating": 1}),
        ("get", "/v1/bloodwork/{report_id}"): Probe(),
        ("post", "/v1/bloodwork/{report_id}/analysis"): Probe(json={"markers": [fsh]}),
        # B's own: its list holds nothing of A's, its upload and erasure touch only B's session.
        ("get", "/v1/conversations"): Probe(status=200),
        ("post", "/v1/bloodwork"): Probe(status=202),
        ("delete", "/v1/sessions/current"): Probe(status=204),
    }


async def owned_by_a(client: httpx.AsyncClient, api: str) -> Owned:
    report, auth = await read(client, api, A_REPORT)
    body = {"message": unique_question("What is AMH?")}
    accepted = (await client.post(f"{api}/v1/chat", json=body, headers=auth)).json()
    done = (await read_events(client, api + accepted["events_url"]))[-1]
    assert done.type == "done", done
    return Owned(
        auth, accepted["job_id"], accepted["conversation_id"], done.data["message_id"],
        report["report_id"],
    )  # fmt: skip


def routes(schema: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in schema["paths"].items() for method in item}


def filled(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{", "").replace("}", "")  # any other parameter: its name, not an id


async def probe_as_b(
    client: httpx.AsyncClient, api: str, route: tuple[str, str], probe: Probe, owned: Owned
) -> httpx.Response:
    auth = (await client.post(f"{api}/v1/sessions")).json()["token"]
    method, path = route
    headers = {"Authorization": f"Bearer {auth}", **(probe.headers or {})}
    url = api + filled(path, owned.path_values())
    if route == ("post", "/v1/bloodwork"):
        files = {"file": ("report.pdf", A_REPORT, "application/pdf")}
        return await client.post(url, files=files, headers=headers)
    return await client.request(method.upper(), url, json=probe.json, headers=headers)


async def admin_refusals(
    client: httpx.AsyncClient, api: str, route: tuple[str, str]
) -> list[httpx.Response]:
    """The admin route without a token, and with a session's token."""
    method, path = route
    url = api + filled(path, {"job_id": uuid.uuid4().hex})
    session = (await client.post(f"{api}/v1/sessions")).json()["token"]
    return [
        await client.request(method.upper(), url),
        await client.request(method.upper(), url, headers={"Authorization": f"Bearer {session}"}),
    ]


async def test_a_second_session_gets_nothing_of_the_first_on_any_route(api: str) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        schema = (await client.get(f"{api}/openapi.json")).json()
        owned = await owned_by_a(client, api)
        session_probes = probes(owned)
        walked = routes(schema)
        unknown = (
            walked
            - PUBLIC
            - session_probes.keys()
            - {r for r in walked if r[1].startswith(ADMIN_PREFIX)}
        )
        assert not unknown, f"classify these routes in this walk: {sorted(unknown)}"

        for route, probe in session_probes.items():
            if route not in walked:
                continue
            response = await probe_as_b(client, api, route, probe, owned)
            assert response.status_code == probe.status, (route, response.text)
            assert owned.job_id not in response.text and owned.report_id not in response.text
        wrong_pin = await client.post(f"{api}/v1/admin/login", json={"pin": "not-the-pin"})
        assert wrong_pin.status_code == 401
        for route in sorted(r for r in walked if r[1].startswith(ADMIN_PREFIX)):
            if route == ADMIN_LOGIN:
                continue
            for response in await admin_refusals(client, api, route):
                assert response.status_code == 401, (route, response.text)

        # A still has all of it, untouched.
        conversation = await client.get(
            f"{api}/v1/conversations/{owned.conversation_id}", headers=owned.auth
        )
        job = await client.get(f"{api}/v1/jobs/{owned.job_id}", headers=owned.auth)
        report = await client.get(f"{api}/v1/bloodwork/{owned.report_id}", headers=owned.auth)
    assert conversation.status_code == 200 and len(conversation.json()["messages"]) == 2
    assert conversation.json()["messages"][1]["rating"] is None
    assert job.json()["status"] == "complete" and report.status_code == 200
