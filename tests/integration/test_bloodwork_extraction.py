"""The `bloodwork.extract` work on real Postgres: outcomes, progress, re-runs, deadlines, the
stored PDF, and reports given up when they stop moving."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from shared.bloodwork import extraction, reports
from shared.bloodwork.extraction import TOO_SLOW, UNEXPECTED_ERROR, Reading, extract_report
from shared.bloodwork.llm_extraction import LabExtractor
from shared.bloodwork.models import Marker
from shared.db.models import LabReport, LabReportStatus, utcnow
from shared.jobs import new_job_id
from shared.resources import Resources
from shared.sessions.service import create_session
from shared.storage.pdfs import PdfStoreUnavailable
from tests.constants import ROOT

pytestmark = pytest.mark.integration

SAMPLE = (ROOT / "data" / "samples" / "name_value_lines.pdf").read_bytes()


async def stored_report(
    resources: Resources, pdf: bytes, session_id: uuid.UUID | None = None
) -> uuid.UUID:
    if session_id is None:
        session_id = (await create_session(resources.sessionmaker, timedelta(days=1))).session.id
    report = LabReport(session_id=session_id, job_id=new_job_id(), size_bytes=len(pdf), pages=1)
    async with resources.sessionmaker() as db:
        db.add(report)
        await db.commit()
    await resources.pdf_store.put(session_id, report.id, pdf)
    return report.id


async def reloaded(resources: Resources, report_id: uuid.UUID) -> LabReport:
    async with resources.sessionmaker() as db:
        report = await db.get(LabReport, report_id)
    assert report is not None
    return report


async def read(
    resources: Resources,
    report_id: uuid.UUID,
    extractor: LabExtractor | None = None,
    *,
    keep_pdf: bool = False,
    timeout_seconds: float = 60.0,
) -> LabReportStatus | None:
    reading = Reading(extractor=extractor, timeout_seconds=timeout_seconds, keep_pdf=keep_pdf)
    return await extract_report(resources.sessionmaker, resources.pdf_store, report_id, reading)


class BlockedExtractor:
    """A model that answers only once the test lets it: the report is read halfway meanwhile."""

    name = "blocked"

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def extract(self, text: str) -> list[Marker] | None:
        self.asked.set()
        await self.answer.wait()
        return None  # invalid twice: the offline parser reads the report


async def test_a_report_is_read_once_and_its_pdf_deleted(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    assert (await reloaded(resources, report_id)).progress == 0
    assert await read(resources, report_id) == "ready"
    first = await reloaded(resources, report_id)
    assert first.pdf is None and first.markers and first.error is None
    assert first.progress == reports.DONE_PERCENT
    # A retried job finds the outcome recorded and changes nothing.
    assert await read(resources, report_id) == "ready"
    assert (await reloaded(resources, report_id)).updated_at == first.updated_at


async def test_progress_shows_the_text_read_while_the_markers_are_read(
    resources: Resources,
) -> None:
    report_id = await stored_report(resources, SAMPLE)
    model = BlockedExtractor()
    reading = asyncio.create_task(read(resources, report_id, model))
    await asyncio.wait_for(model.asked.wait(), 10)
    halfway = await reloaded(resources, report_id)
    assert (halfway.status, halfway.progress) == ("processing", reports.TEXT_READ_PERCENT)
    model.answer.set()
    assert await reading == "ready"
    assert (await reloaded(resources, report_id)).progress == reports.DONE_PERCENT


async def test_a_reading_past_its_deadline_fails_the_report(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    assert await read(resources, report_id, BlockedExtractor(), timeout_seconds=0.5) == "failed"
    report = await reloaded(resources, report_id)
    assert report.error == TOO_SLOW and report.pdf is None


async def test_the_pdf_is_kept_when_configured(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    await read(resources, report_id, keep_pdf=True)
    assert (await reloaded(resources, report_id)).pdf == SAMPLE


async def test_an_unreadable_report_fails_with_its_reason(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE[: len(SAMPLE) // 2])
    assert await read(resources, report_id) == "failed"
    report = await reloaded(resources, report_id)
    assert report.error is not None and "damaged" in report.error and report.pdf is None


async def test_an_unexpected_error_fails_the_report_without_details(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_parser(*_: object) -> list[Marker]:
        raise RuntimeError("FSH 7.2")

    monkeypatch.setattr(extraction, "parse_markers", broken_parser)
    report_id = await stored_report(resources, SAMPLE)
    assert await read(resources, report_id) is LabReportStatus.FAILED
    assert (await reloaded(resources, report_id)).error == UNEXPECTED_ERROR
    assert "RuntimeError" in caplog.text and "7.2" not in caplog.text  # no lab values logged


async def test_a_store_that_is_down_is_raised_for_the_job_to_retry(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def store_down(*_: object) -> bytes:
        raise PdfStoreUnavailable("the upload store could not be reached")

    report_id = await stored_report(resources, SAMPLE)
    monkeypatch.setattr(resources.pdf_store, "get", store_down)
    with pytest.raises(PdfStoreUnavailable):
        await read(resources, report_id)
    assert (await reloaded(resources, report_id)).status == "processing"
    monkeypatch.undo()
    assert await read(resources, report_id) == "ready"  # the retry reads it


async def test_a_deleted_report_is_skipped(resources: Resources) -> None:
    assert await read(resources, uuid.uuid4()) is None


async def age(resources: Resources, report_id: uuid.UUID, by: timedelta) -> None:
    statement = (
        update(LabReport).where(col(LabReport.id) == report_id).values(updated_at=utcnow() - by)
    )
    async with resources.sessionmaker() as db:
        await db.execute(statement)
        await db.commit()


async def test_only_a_pending_report_that_stopped_moving_is_given_up(
    resources: Resources,
) -> None:
    session = await create_session(resources.sessionmaker, timedelta(days=1))
    moving = await stored_report(resources, SAMPLE, session.session.id)
    stale_after = timedelta(minutes=15)
    assert (
        await reports.give_up_abandoned(resources.sessionmaker, session.session.id, stale_after)
        == 0
    )
    await age(resources, moving, timedelta(minutes=16))
    assert reports.is_abandoned(await reloaded(resources, moving), stale_after)
    assert (
        await reports.give_up_abandoned(resources.sessionmaker, session.session.id, stale_after)
        == 1
    )
    given_up = await reloaded(resources, moving)
    assert (given_up.status, given_up.error) == ("failed", reports.ABANDONED)
    assert not reports.is_abandoned(given_up, stale_after)
    # A job that turns up afterwards leaves the outcome alone.
    assert await read(resources, moving) == "failed"


async def test_a_finished_report_is_never_given_up(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    await read(resources, report_id)
    assert not await reports.give_up(resources.sessionmaker, report_id, reports.ABANDONED)
    assert (await reloaded(resources, report_id)).status == "ready"
