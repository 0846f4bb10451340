"""The `bloodwork.extract` work on real Postgres: outcomes, re-runs and the stored PDF."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared.bloodwork import extraction
from shared.bloodwork.extraction import UNEXPECTED_ERROR, extract_report
from shared.db.models import LabReport, LabReportStatus
from shared.jobs import new_job_id
from shared.resources import Resources
from shared.sessions import create_session
from tests.constants import ROOT

pytestmark = pytest.mark.integration

SAMPLE = (ROOT / "data" / "samples" / "name_value_lines.pdf").read_bytes()


async def stored_report(resources: Resources, pdf: bytes) -> uuid.UUID:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    report = LabReport(
        session_id=issued.session.id, job_id=new_job_id(), pdf=pdf, size_bytes=len(pdf), pages=1
    )
    async with resources.sessionmaker() as db:
        db.add(report)
        await db.commit()
    return report.id


async def reloaded(resources: Resources, report_id: uuid.UUID) -> LabReport:
    async with resources.sessionmaker() as db:
        report = await db.get(LabReport, report_id)
    assert report is not None
    return report


async def test_a_report_is_read_once_and_its_pdf_deleted(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    assert await extract_report(resources.sessionmaker, report_id, keep_pdf=False) == "ready"
    first = await reloaded(resources, report_id)
    assert first.pdf is None and first.markers and first.error is None
    # A retried job finds the outcome recorded and changes nothing.
    assert await extract_report(resources.sessionmaker, report_id, keep_pdf=False) == "ready"
    assert (await reloaded(resources, report_id)).updated_at == first.updated_at


async def test_the_pdf_is_kept_when_configured(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE)
    await extract_report(resources.sessionmaker, report_id, keep_pdf=True)
    assert (await reloaded(resources, report_id)).pdf == SAMPLE


async def test_an_unreadable_report_fails_with_its_reason(resources: Resources) -> None:
    report_id = await stored_report(resources, SAMPLE[: len(SAMPLE) // 2])
    assert await extract_report(resources.sessionmaker, report_id, keep_pdf=False) == "failed"
    report = await reloaded(resources, report_id)
    assert report.error is not None and "damaged" in report.error and report.pdf is None


async def test_an_unexpected_error_fails_the_report_without_details(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_parser(_: bytes) -> extraction.Outcome:
        raise RuntimeError("FSH 7.2")

    monkeypatch.setattr(extraction, "read_report", broken_parser)
    report_id = await stored_report(resources, SAMPLE)
    status = await extract_report(resources.sessionmaker, report_id, keep_pdf=False)
    assert status is LabReportStatus.FAILED
    assert (await reloaded(resources, report_id)).error == UNEXPECTED_ERROR
    assert "RuntimeError" in caplog.text and "7.2" not in caplog.text  # no lab values logged


async def test_a_deleted_report_is_skipped(resources: Resources) -> None:
    assert await extract_report(resources.sessionmaker, uuid.uuid4(), keep_pdf=False) is None
