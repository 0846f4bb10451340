"""`PostgresPdfStore` on real Postgres: the upload lives in its `lab_report` row."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared.db.models import LabReport, LabReportStatus
from shared.jobs import new_job_id
from shared.resources import Resources
from shared.sessions.service import create_session
from shared.storage.pdfs import PostgresPdfStore

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


@pytest.fixture
def store(resources: Resources) -> PostgresPdfStore:
    return PostgresPdfStore(resources.sessionmaker)


async def new_session(resources: Resources) -> uuid.UUID:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    return issued.session.id


async def report_row(
    resources: Resources,
    session_id: uuid.UUID,
    status: LabReportStatus = LabReportStatus.QUEUED,
) -> uuid.UUID:
    """A report row without its PDF, as it is when `put` is called."""
    report = LabReport(
        session_id=session_id, job_id=new_job_id(), status=status, size_bytes=len(PDF), pages=1
    )
    async with resources.sessionmaker() as db:
        db.add(report)
        await db.commit()
    return report.id


async def test_an_upload_is_read_back_as_stored(
    resources: Resources, store: PostgresPdfStore
) -> None:
    session_id = await new_session(resources)
    report_id = await report_row(resources, session_id)
    assert await store.get(session_id, report_id) is None
    await store.put(session_id, report_id, PDF)
    assert await store.get(session_id, report_id) == PDF


async def test_a_report_of_another_session_is_neither_read_nor_written(
    resources: Resources, store: PostgresPdfStore
) -> None:
    session_id, stranger = await new_session(resources), await new_session(resources)
    report_id = await report_row(resources, session_id)
    await store.put(session_id, report_id, PDF)
    assert await store.get(stranger, report_id) is None
    with pytest.raises(LookupError):
        await store.put(stranger, report_id, b"%PDF-other")
    await store.delete(stranger, report_id)
    assert await store.get(session_id, report_id) == PDF


async def test_a_put_without_its_report_row_is_refused(
    resources: Resources, store: PostgresPdfStore
) -> None:
    session_id = await new_session(resources)
    with pytest.raises(LookupError):
        await store.put(session_id, uuid.uuid4(), PDF)


async def test_a_deleted_upload_reads_as_none_and_its_report_stays(
    resources: Resources, store: PostgresPdfStore
) -> None:
    session_id = await new_session(resources)
    report_id = await report_row(resources, session_id)
    await store.put(session_id, report_id, PDF)
    await store.delete(session_id, report_id)
    assert await store.get(session_id, report_id) is None
    await store.delete(session_id, report_id)  # deleting again is fine
    await store.delete(session_id, uuid.uuid4())  # and so is deleting what never was
    async with resources.sessionmaker() as db:
        assert await db.get(LabReport, report_id) is not None


async def test_deleting_a_session_counts_its_uploads_and_leaves_others(
    resources: Resources, store: PostgresPdfStore
) -> None:
    session_id, other_session_id = await new_session(resources), await new_session(resources)
    # One report of a session may be pending; the earlier ones were read (and kept).
    uploaded = [
        await report_row(resources, session_id),
        await report_row(resources, session_id, LabReportStatus.READY),
        await report_row(resources, session_id, LabReportStatus.READY),
    ]
    for report_id in uploaded[:2]:
        await store.put(session_id, report_id, PDF)
    kept = await report_row(resources, other_session_id)
    await store.put(other_session_id, kept, PDF)

    assert await store.delete_session(session_id) == 2  # the third report had no PDF
    assert [await store.get(session_id, report_id) for report_id in uploaded] == [None] * 3
    assert await store.get(other_session_id, kept) == PDF
    assert await store.delete_session(session_id) == 0
