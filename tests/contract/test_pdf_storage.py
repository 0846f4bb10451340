"""`S3PdfStore` over HTTP against moto's S3 server, with fake credentials from the environment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_s3 import S3Client

from izana.processes import free_port
from shared.storage.pdfs import PdfStoreUnavailable
from shared.storage.s3 import S3PdfStore, batches
from tests.s3 import FAKE_CREDENTIALS, REGION, moto_s3

pytestmark = pytest.mark.contract

BUCKET = "izana-uploads"
PREFIX = "bloodwork/"
FAKE_SECRET = FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
# One attempt and short timeouts so a failure is reported at once.
IMPATIENT = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "max_attempts": 1}
)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> S3Client:
    client = boto3.Session().client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def store(s3_endpoint: str, s3: S3Client) -> S3PdfStore:
    return S3PdfStore(BUCKET, prefix=PREFIX, endpoint_url=s3_endpoint, region=REGION)


def keys_of(s3: S3Client, session_id: uuid.UUID) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}{session_id}/")
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


async def test_an_upload_is_read_back_as_stored(store: S3PdfStore) -> None:
    session_id, report_id = uuid.uuid4(), uuid.uuid4()
    await store.put(session_id, report_id, PDF)
    assert await store.get(session_id, report_id) == PDF


async def test_an_upload_is_one_pdf_object_under_the_prefix(
    store: S3PdfStore, s3: S3Client
) -> None:
    session_id, report_id = uuid.uuid4(), uuid.uuid4()
    await store.put(session_id, report_id, PDF)
    assert keys_of(s3, session_id) == [f"{PREFIX}{session_id}/{report_id}.pdf"]
    stored = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}{session_id}/{report_id}.pdf")
    assert stored["ContentType"] == "application/pdf" and stored["ContentLength"] == len(PDF)


async def test_a_missing_upload_reads_as_none(store: S3PdfStore) -> None:
    assert await store.get(uuid.uuid4(), uuid.uuid4()) is None


async def test_a_deleted_upload_reads_as_none_and_deleting_again_is_fine(
    store: S3PdfStore,
) -> None:
    session_id, report_id = uuid.uuid4(), uuid.uuid4()
    await store.put(session_id, report_id, PDF)
    await store.delete(session_id, report_id)
    assert await store.get(session_id, report_id) is None
    await store.delete(session_id, report_id)


async def test_deleting_a_session_leaves_other_sessions_uploads(
    store: S3PdfStore, s3: S3Client
) -> None:
    session_id, other_session_id = uuid.uuid4(), uuid.uuid4()
    reports = [uuid.uuid4() for _ in range(3)]
    for report_id in reports:
        await store.put(session_id, report_id, PDF)
    kept = uuid.uuid4()
    await store.put(other_session_id, kept, PDF)

    assert await store.delete_session(session_id) == 3
    assert keys_of(s3, session_id) == []
    assert await store.get(other_session_id, kept) == PDF
    assert await store.delete_session(session_id) == 0


async def test_an_unreachable_store_is_unavailable() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    store = S3PdfStore(BUCKET, endpoint_url=closed, region=REGION, config=IMPATIENT)
    with pytest.raises(PdfStoreUnavailable, match="EndpointConnectionError"):
        await store.get(uuid.uuid4(), uuid.uuid4())


async def test_a_missing_bucket_is_unavailable_not_a_missing_upload(s3_endpoint: str) -> None:
    store = S3PdfStore("no-such-bucket", endpoint_url=s3_endpoint, region=REGION, config=IMPATIENT)
    with pytest.raises(PdfStoreUnavailable, match="NoSuchBucket"):
        await store.put(uuid.uuid4(), uuid.uuid4(), PDF)
    with pytest.raises(PdfStoreUnavailable, match="NoSuchBucket"):
        await store.get(uuid.uuid4(), uuid.uuid4())
    with pytest.raises(PdfStoreUnavailable, match="NoSuchBucket"):
        await store.delete_session(uuid.uuid4())


async def test_an_error_names_neither_credentials_nor_content(s3_endpoint: str) -> None:
    store = S3PdfStore("no-such-bucket", endpoint_url=s3_endpoint, region=REGION, config=IMPATIENT)
    with pytest.raises(PdfStoreUnavailable) as raised:
        await store.put(uuid.uuid4(), uuid.uuid4(), b"%PDF-1.7 FSH 7.2")
    assert FAKE_SECRET not in str(raised.value) and "FSH" not in str(raised.value)


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, []), (3, [3]), (1000, [1000]), (2001, [1000, 1000, 1])]
)
def test_keys_are_deleted_in_batches_of_at_most_a_thousand(count: int, sizes: list[int]) -> None:
    keys = [f"k{index}" for index in range(count)]
    split = list(batches(keys, 1000))
    assert [len(batch) for batch in split] == sizes
    assert [key for batch in split for key in batch] == keys
