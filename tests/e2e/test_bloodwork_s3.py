"""Blood-work uploads kept in an S3-compatible store (moto's S3 server over HTTP), through an
API and a worker of their own: the PDF never enters Postgres, is read from the bucket, and goes
with the session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import boto3
import httpx
import pytest
from mypy_boto3_s3 import S3Client
from sqlalchemy import func, select
from sqlmodel import col

from izana.embedded import ServiceUrls
from izana.processes import free_port, start_api, start_izana, stop, wait_ready
from shared.db.models import LabReport
from shared.resources import Resources
from tests.e2e.client import new_session
from tests.e2e.conftest import process_env
from tests.e2e.test_bloodwork import A_REPORT, read, session_id, stored, upload
from tests.s3 import FAKE_CREDENTIALS, REGION, moto_s3

pytestmark = pytest.mark.e2e

BUCKET = "izana-e2e-uploads"
PREFIX = "uploads/"
# Its own Redis database: the suite's other worker must not take these jobs from the queue.
REDIS_DATABASE = 7


def on_database(redis_url: str, database: int) -> str:
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return urlunsplit(parts._replace(query=f"db={database}"))
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, S3Client]]:
    with moto_s3() as endpoint:
        client = boto3.Session().client("s3", endpoint_url=endpoint, region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client


def s3_env(service_urls: ServiceUrls, endpoint: str) -> dict[str, str]:
    """The processes' settings: uploads in the bucket at `endpoint`, kept after reading."""
    urls = ServiceUrls(
        on_database(service_urls.redis_url, REDIS_DATABASE), service_urls.database_url
    )
    return process_env(urls) | FAKE_CREDENTIALS | {
        "BLOODWORK_STORAGE": "s3", "BLOODWORK_S3_BUCKET": BUCKET,
        "BLOODWORK_S3_ENDPOINT_URL": endpoint, "BLOODWORK_S3_REGION": REGION,
        "BLOODWORK_S3_PREFIX": PREFIX, "BLOODWORK_KEEP_PDF": "true",
    }  # fmt: skip


@pytest.fixture(scope="module")
def s3_api(
    service_urls: ServiceUrls, knowledge_base: int, s3: tuple[str, S3Client]
) -> Iterator[str]:
    env = s3_env(service_urls, s3[0])
    api, worker = start_api(env), start_izana(["worker"], env)
    try:
        wait_ready(api)
        yield api.base_url
    finally:
        stop(api.process)
        stop(worker)


def uploads_of(client: S3Client, session: uuid.UUID) -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}{session}/")
    return [entry["Key"] for entry in listed.get("Contents", [])]


async def test_an_upload_is_read_from_the_bucket_and_erased_with_its_session(
    s3_api: str, s3: tuple[str, S3Client], resources: Resources
) -> None:
    _, bucket = s3
    async with httpx.AsyncClient(timeout=60) as client:
        body, auth = await read(client, s3_api, A_REPORT)
        session = await session_id(resources, auth)
        kept = uploads_of(bucket, session)
        stored_pdf = bucket.get_object(Bucket=BUCKET, Key=kept[0])["Body"].read()
        row = await stored(resources, body["report_id"])
        erased = await client.delete(f"{s3_api}/v1/sessions/current", headers=auth)
    assert body["status"] == "ready" and body["markers"], body
    assert kept == [f"{PREFIX}{session}/{body['report_id']}.pdf"] and stored_pdf == A_REPORT
    assert row.pdf is None  # the PDF never entered the database
    assert erased.status_code == 204
    assert uploads_of(bucket, session) == []


async def test_an_upload_the_store_cannot_take_is_refused_and_leaves_nothing(
    service_urls: ServiceUrls, resources: Resources
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the store is down
    api = start_api(s3_env(service_urls, closed))
    try:
        wait_ready(api, need_worker=False)
        async with httpx.AsyncClient(timeout=60) as client:
            auth = await new_session(client, api.base_url)
            refused = await upload(client, api.base_url, A_REPORT, auth)
            session = await session_id(resources, auth)
    finally:
        stop(api.process)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "unavailable" and refused.headers["Retry-After"]
    async with resources.sessionmaker() as db:
        left = await db.scalar(select(func.count()).where(col(LabReport.session_id) == session))
    assert left == 0  # nothing kept, so the session is not blocked by a pending report
