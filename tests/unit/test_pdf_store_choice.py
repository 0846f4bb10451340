"""The PDF store chosen by BLOODWORK_STORAGE, and the `s3` extra it needs."""

import sys

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.config import Settings
from shared.resources import pdf_store
from shared.storage.pdfs import PostgresPdfStore
from shared.storage.s3 import S3PdfStore

pytestmark = pytest.mark.unit

S3_STORAGE = {"bloodwork_storage": "s3", "bloodwork_s3_bucket": "uploads", "_env_file": None}


def test_the_postgres_store_needs_no_extra() -> None:
    assert isinstance(pdf_store(Settings(_env_file=None), async_sessionmaker()), PostgresPdfStore)


def test_s3_storage_gets_the_s3_store() -> None:
    store = pdf_store(Settings(**S3_STORAGE, bloodwork_s3_region="us-east-1"), async_sessionmaker())
    assert isinstance(store, S3PdfStore)


def test_s3_storage_without_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import boto3` fail as it does where boto3 is not installed.
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.delitem(sys.modules, "shared.storage.s3")
    with pytest.raises(RuntimeError, match=r"BLOODWORK_STORAGE=s3 needs boto3.*izana\[s3\]"):
        pdf_store(Settings(**S3_STORAGE), async_sessionmaker())
