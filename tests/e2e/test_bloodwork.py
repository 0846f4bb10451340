"""Blood-work uploads through the real API, read by the real worker (`bloodwork.extract`)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.bloodwork.reports import ABANDONED
from shared.db.models import LabReport
from shared.resources import Resources
from shared.sessions.service import find_session
from tests.constants import ROOT
from tests.e2e.client import new_session
from tests.integration.test_bloodwork_extraction import age
from tests.pdfs import pdf_bytes, pdf_writer, written

pytestmark = pytest.mark.e2e

# name -> (PDF, ground truth)
SAMPLES = {
    path.stem: (path.read_bytes(), json.loads(path.with_suffix(".json").read_text()))
    for path in sorted((ROOT / "data" / "samples").glob("*.pdf"))
}
A_REPORT = next(iter(SAMPLES.values()))[0]
POLL_SECONDS = 0.1
POLLS = 300
PENDING = {"queued", "processing"}


def scanned_pdf(pages: int) -> bytes:
    """Pages that draw but have no text layer, as a scanner makes them."""
    return pdf_bytes([[] for _ in range(pages)])


def encrypted_pdf() -> bytes:
    writer = pdf_writer([["FSH: 7.2 mIU/mL (3.5-12.5)"]])
    writer.encrypt(user_password="secret", owner_password="owner")
    return written(writer)


async def upload(
    client: httpx.AsyncClient,
    api: str,
    content: bytes,
    auth: dict[str, str] | None = None,
    field: str = "file",
) -> httpx.Response:
    auth = auth or await new_session(client, api)
    files = {field: ("report.pdf", content, "application/pdf")}
    return await client.post(f"{api}/v1/bloodwork", files=files, headers=auth)


async def read(
    client: httpx.AsyncClient, api: str, content: bytes
) -> tuple[dict[str, Any], dict[str, str]]:
    """Upload `content` and poll its report until the worker is done with it."""
    auth = await new_session(client, api)
    accepted = await upload(client, api, content, auth)
    assert accepted.status_code == 202, accepted.text
    url = f"{api}{accepted.json()['status_url']}"
    for _ in range(POLLS):
        response = await client.get(url, headers=auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] not in PENDING:
            return body, auth
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"the report was not read: {body}")


async def session_id(resources: Resources, auth: dict[str, str]) -> uuid.UUID:
    found = await find_session(resources.sessionmaker, auth["Authorization"].split()[1])
    assert found is not None
    return found.id


async def pending_report(resources: Resources, auth: dict[str, str]) -> LabReport:
    """A report of the session still queued, stored directly (no worker will pick it up)."""
    pending = LabReport(
        session_id=await session_id(resources, auth), job_id=uuid.uuid4().hex, size_bytes=0, pages=1
    )
    async with resources.sessionmaker() as db:
        db.add(pending)
        await db.commit()
    return pending


async def stored(resources: Resources, report_id: str) -> LabReport:
    async with resources.sessionmaker() as db:
        report = await db.get(LabReport, uuid.UUID(report_id))
    assert report is not None
    return report


def assert_matches(marker: dict[str, Any], expected: dict[str, Any]) -> None:
    for key in ("name", "canonical_name", "unit", "flag", "reported_unit"):
        assert marker[key] == expected[key], (key, marker, expected)
    assert marker["value"] == pytest.approx(expected["value"], rel=0.01)
    assert marker["reported_value"] == pytest.approx(expected["reported_value"], rel=0.01)
    assert marker["reference_range"]["text"] == expected["reference_range_text"]


@pytest.mark.parametrize("sample", SAMPLES)
async def test_each_sample_is_read_as_its_ground_truth(
    api: str, resources: Resources, sample: str
) -> None:
    content, truth = SAMPLES[sample]
    async with httpx.AsyncClient() as client:
        body, _ = await read(client, api, content)
    assert body["status"] == "ready" and body["error"] is None and body["progress"] == 100
    # Reading order (row by row) is not the ground truth's order in a two-column report.
    by_name = {marker["canonical_name"]: marker for marker in body["markers"]}
    assert len(by_name) == len(body["markers"]) == len(truth["markers"])
    for expected in truth["markers"]:
        assert_matches(by_name[expected["canonical_name"]], expected)
    assert body["missing_markers"] == truth["missing_key_markers"]
    assert (await stored(resources, body["report_id"])).pdf is None  # deleted once read


async def test_a_pdf_without_a_text_layer_needs_ocr(api: str) -> None:
    async with httpx.AsyncClient() as client:
        body, _ = await read(client, api, scanned_pdf(2))
    assert body["status"] == "needs_ocr" and body["markers"] == []


BAD_UPLOADS = {
    "not_a_pdf": (b"Name,Value\nFSH,7.2\n" * 10, 415, "not_a_pdf"),
    "empty": (b"", 422, "file_empty"),
    "too_large_by_header": (b"%PDF-1.7\n" + b"0" * 6_000_000, 413, "file_too_large"),
    "too_large_when_read": (b"%PDF-1.7\n" + b"0" * 5_000_000, 413, "file_too_large"),
    "fifty_pages": (scanned_pdf(50), 422, "too_many_pages"),
    "encrypted": (encrypted_pdf(), 422, "pdf_encrypted"),
    "truncated": (A_REPORT[: len(A_REPORT) // 2], 422, "pdf_damaged"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
async def test_bad_uploads_are_refused_with_a_clear_code(api: str, case: str) -> None:
    content, status, code = BAD_UPLOADS[case]
    async with httpx.AsyncClient() as client:
        response = await upload(client, api, content)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_an_oversized_body_is_refused_before_it_is_sent(api: str) -> None:
    """Only the headers go out: the refusal must come from Content-Length alone."""
    async with httpx.AsyncClient() as client:
        auth = await new_session(client, api)
    url = httpx.URL(api)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = (
        f"POST /v1/bloodwork HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 6000000\r\n\r\n"
    )
    writer.write(head.encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert status_line.split()[1] == b"413"


async def test_a_wrongly_named_field_is_refused(api: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await upload(client, api, A_REPORT, field="pdf")
        no_form = await client.post(
            f"{api}/v1/bloodwork", json={"file": "x"}, headers=await new_session(client, api)
        )
    for refused in (response, no_form):
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "file_missing"


async def test_a_pending_report_is_polled_again_and_blocks_a_second_upload(
    api: str, resources: Resources
) -> None:
    async with httpx.AsyncClient() as client:
        auth = await new_session(client, api)
        pending = await pending_report(resources, auth)
        polled = await client.get(f"{api}/v1/bloodwork/{pending.id}", headers=auth)
        assert polled.status_code == 200, polled.text
        assert (polled.json()["status"], polled.json()["progress"]) == ("queued", 0)
        assert polled.headers["Retry-After"] == "1"
        second = await upload(client, api, A_REPORT, auth)
    assert second.status_code == 409, second.text
    assert second.json()["error"]["code"] == "upload_pending"


async def test_a_report_that_stopped_moving_is_given_up_and_no_longer_blocks(
    api: str, resources: Resources
) -> None:
    stale = timedelta(seconds=resources.settings.bloodwork_stale_seconds + 60)
    async with httpx.AsyncClient() as client:
        uploader, poller = await new_session(client, api), await new_session(client, api)
        # Reports whose jobs were lost: nothing will ever read them.
        blocking, polled = (
            await pending_report(resources, uploader),
            await pending_report(resources, poller),
        )
        for lost in (blocking, polled):
            await age(resources, lost.id, stale)
        accepted = await upload(client, api, A_REPORT, uploader)
        given_up = await client.get(f"{api}/v1/bloodwork/{polled.id}", headers=poller)
    assert accepted.status_code == 202, accepted.text
    assert (await stored(resources, str(blocking.id))).error == ABANDONED
    assert given_up.json()["status"] == "failed" and given_up.json()["error"] == ABANDONED
    assert given_up.json()["progress"] == 100 and "Retry-After" not in given_up.headers


async def test_reports_are_private_to_their_session_and_cheap_to_poll_again(api: str) -> None:
    async with httpx.AsyncClient() as client:
        body, auth = await read(client, api, A_REPORT)
        url = f"{api}/v1/bloodwork/{body['report_id']}"
        first = await client.get(url, headers=auth)
        assert "Retry-After" not in first.headers
        again = await client.get(url, headers={**auth, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        other = await client.get(url, headers=await new_session(client, api))
        unknown = await client.get(f"{api}/v1/bloodwork/{uuid.uuid4()}", headers=auth)
        malformed = await client.get(f"{api}/v1/bloodwork/not-a-uuid", headers=auth)
    for missing in (other, unknown):
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "report_not_found"
    assert malformed.status_code == 422


async def test_a_report_is_polled_by_its_job_id_too(api: str) -> None:
    async with httpx.AsyncClient() as client:
        auth = await new_session(client, api)
        accepted = (await upload(client, api, A_REPORT, auth)).json()
        by_job = await client.get(f"{api}/v1/bloodwork/{accepted['job_id']}", headers=auth)
        by_report = await client.get(f"{api}{accepted['status_url']}", headers=auth)
        foreign = await client.get(
            f"{api}/v1/bloodwork/{accepted['job_id']}", headers=await new_session(client, api)
        )
    assert by_job.status_code == 200, by_job.text
    assert by_job.json()["report_id"] == accepted["report_id"] == by_report.json()["report_id"]
    assert foreign.status_code == 404
