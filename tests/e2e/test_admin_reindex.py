"""Admin login and knowledge-base re-indexing through the API, run by the worker (kb.ingest)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_PIN, INGEST_DIR

pytestmark = pytest.mark.e2e

POLL_SECONDS = 0.2
POLLS = 300


async def admin_headers(client: httpx.AsyncClient, api: str) -> dict[str, str]:
    response = await client.post(f"{api}/v1/admin/login", json={"pin": ADMIN_PIN})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def finished(client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> dict[str, Any]:
    for _ in range(POLLS):
        response = await client.get(url, headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] == "complete":
            return body
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"ingestion job did not finish: {body}")


async def test_a_wrong_pin_or_token_is_refused(api: str) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{api}/v1/admin/login", json={"pin": "0000"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "admin_pin_invalid"
        for headers in ({}, {"Authorization": "Bearer forged"}):
            refused = await client.post(f"{api}/v1/admin/kb/reindex", json={}, headers=headers)
            assert refused.status_code == 401


async def test_paths_outside_the_ingest_roots_are_refused(api: str) -> None:
    async with httpx.AsyncClient() as client:
        auth = await admin_headers(client, api)
        response = await client.post(
            f"{api}/v1/admin/kb/reindex", json={"paths": ["/etc/passwd"]}, headers=auth
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "path_not_allowed"


async def test_an_admin_reindexes_a_new_file_and_removes_it_again(api: str) -> None:
    INGEST_DIR.mkdir(parents=True, exist_ok=True)
    name = f"clinic-{uuid.uuid4().hex[:8]}.md"
    (INGEST_DIR / name).write_text(
        "# Clinic leaflet\n\n## Embryo transfer\n\n" + "The embryo is placed in the womb. " * 12
    )
    collection = f"test-{uuid.uuid4().hex[:8]}"
    body = {"paths": [str(INGEST_DIR / name)], "collection": collection}
    async with httpx.AsyncClient() as client:
        auth = await admin_headers(client, api)
        accepted = await client.post(f"{api}/v1/admin/kb/reindex", json=body, headers=auth)
        assert accepted.status_code == 202, accepted.text
        done = await finished(client, f"{api}{accepted.json()['status_url']}", auth)
        assert done["success"] is True and done["result"]["collection"] == collection
        (outcome,) = done["result"]["files"]
        assert outcome["file"] == name and outcome["status"] == "added" and outcome["passages"]

        removal = await client.post(
            f"{api}/v1/admin/kb/reindex", json={**body, "delete": True}, headers=auth
        )
        removed = await finished(client, f"{api}{removal.json()['status_url']}", auth)
        assert removed["result"]["files"][0]["status"] == "deleted"
        unknown = await client.get(f"{api}/v1/admin/kb/jobs/{uuid.uuid4().hex}", headers=auth)
        assert unknown.status_code == 404
    (INGEST_DIR / name).unlink()


async def test_a_symlinked_file_inside_an_allowed_folder_is_ingested(api: str) -> None:
    """A link in an allowed folder to a file outside INGEST_ROOTS is skipped, not read."""
    folder = INGEST_DIR / f"linked-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    outside = INGEST_DIR.parent / f"outside-{uuid.uuid4().hex[:8]}.md"
    outside.write_text("# Not for the knowledge base\n\n" + "A private note. " * 20)
    (folder / "leaflet.md").write_text("# Leaflet\n\n" + "Embryo transfer explained. " * 12)
    (folder / "private.md").symlink_to(outside)
    body = {"paths": [str(folder)], "collection": f"test-{uuid.uuid4().hex[:8]}"}
    try:
        async with httpx.AsyncClient() as client:
            auth = await admin_headers(client, api)
            accepted = await client.post(f"{api}/v1/admin/kb/reindex", json=body, headers=auth)
            assert accepted.status_code == 202, accepted.text
            done = await finished(client, f"{api}{accepted.json()['status_url']}", auth)
            linked = await client.post(
                f"{api}/v1/admin/kb/reindex",
                json={**body, "paths": [str(folder / "private.md")]},
                headers=auth,
            )
    finally:
        for path in (folder / "private.md", folder / "leaflet.md", outside):
            path.unlink()
        folder.rmdir()
    assert done["success"] is True
    assert [outcome["file"] for outcome in done["result"]["files"]] == ["leaflet.md"]
    assert linked.status_code == 400  # named directly, the link resolves outside the roots
    assert linked.json()["error"]["code"] == "path_not_allowed"
