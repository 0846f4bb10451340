"""The blood-work PDF store on an S3-compatible object store (AWS S3, MinIO, Cloudflare R2).

boto3 is the `s3` extra: this module is imported only when `BLOODWORK_STORAGE=s3`
(shared/resources.py), so the API and worker run without it on the Postgres store.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.storage.pdfs import PdfStoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

S3_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3}
)
DELETE_OBJECTS_LIMIT = 1000  # S3's most keys in one DeleteObjects request
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404"})


class S3PdfStore:
    """Objects `{prefix}{session_id}/{report_id}.pdf` in a bucket of an S3-compatible store.

    Credentials come only from boto3's default chain (AWS_* variables, a profile, an IAM role).
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "bloodwork/",
        endpoint_url: str | None = None,
        region: str | None = None,
        config: Config = S3_CLIENT_CONFIG,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._client: S3Client = boto3.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )

    async def put(self, session_id: uuid.UUID, report_id: uuid.UUID, content: bytes) -> None:
        key = self._key(session_id, report_id)
        await self._call(
            "put",
            lambda: self._client.put_object(
                Bucket=self._bucket, Key=key, Body=content, ContentType="application/pdf"
            ),
        )

    async def get(self, session_id: uuid.UUID, report_id: uuid.UUID) -> bytes | None:
        key = self._key(session_id, report_id)
        return await self._call("get", lambda: self._read_object(key))

    async def delete(self, session_id: uuid.UUID, report_id: uuid.UUID) -> None:
        key = self._key(session_id, report_id)
        await self._call("delete", lambda: self._client.delete_object(Bucket=self._bucket, Key=key))

    async def delete_session(self, session_id: uuid.UUID) -> int:
        prefix = f"{self._prefix}{session_id}/"
        return await self._call("delete_session", lambda: self._delete_under(prefix))

    def _key(self, session_id: uuid.UUID, report_id: uuid.UUID) -> str:
        return f"{self._prefix}{session_id}/{report_id}.pdf"

    def _read_object(self, key: str) -> bytes | None:
        try:
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if _error_code(error) in NOT_FOUND_CODES:
                return None
            raise

    def _delete_under(self, prefix: str) -> int:
        keys = self._keys_under(prefix)
        for batch in batches(keys, DELETE_OBJECTS_LIMIT):
            response = self._client.delete_objects(
                Bucket=self._bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            if failures := response.get("Errors", []):
                code = failures[0].get("Code", "unknown")
                raise PdfStoreUnavailable(f"{len(failures)} uploads were not deleted ({code})")
        return len(keys)

    def _keys_under(self, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        return [entry["Key"] for page in pages for entry in page.get("Contents", [])]

    async def _call(self, operation: str, blocking: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(blocking)
        except (BotoCoreError, ClientError) as error:
            raise PdfStoreUnavailable(
                f"object store {operation} in bucket {self._bucket!r} failed: {_error_code(error)}"
            ) from error


def _error_code(error: BotoCoreError | ClientError) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "unknown"))
    return type(error).__name__


def batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """`items` in consecutive slices of at most `size` (itertools.batched needs Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
