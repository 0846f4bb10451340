"""The `bloodwork.extract` job's work: read a stored lab report's markers and record them.

The markers are read by the chat model when an extractor is given (`lab_extractor`), by the
offline parser otherwise or when the model's reply is invalid twice; a provider that fails for
good ends the report `failed`. Re-running it is harmless: a report that already has its
outcome is left as it is. Lab values and report text are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bloodwork.errors import LabReportError
from shared.bloodwork.llm_extraction import LabExtractor
from shared.bloodwork.models import Marker
from shared.bloodwork.parser import extract_text, missing_key_markers, needs_ocr, parse_markers
from shared.db.models import PENDING_REPORT_STATUSES, LabReport, LabReportStatus, utcnow
from shared.resilience.errors import ProviderFailure

log = logging.getLogger(__name__)

UNEXPECTED_ERROR = "the report could not be read; please try again or upload another copy"
PDF_GONE = "the uploaded file is no longer available; please upload it again"
EXTRACTION_UNAVAILABLE = "the extraction service is unavailable; try again later"


@dataclass(frozen=True)
class Outcome:
    status: LabReportStatus
    markers: list[dict[str, Any]] = field(default_factory=list)
    missing_markers: list[str] = field(default_factory=list)
    error: str | None = None


def read_report(pdf_bytes: bytes) -> Outcome:
    """The markers of a PDF, or why there are none; blocking (pypdf), so run it in a thread."""
    pages = _read_pages(pdf_bytes)
    if isinstance(pages, Outcome):
        return pages
    return _ready(parse_markers("\n".join(pages)))


async def read_report_with(extractor: LabExtractor, pdf_bytes: bytes) -> Outcome:
    """The markers of a PDF as the model reads them (the parser's after two invalid replies)."""
    pages = await asyncio.to_thread(_read_pages, pdf_bytes)
    if isinstance(pages, Outcome):
        return pages
    text = "\n".join(pages)
    try:
        markers = await extractor.extract(text)
    except ProviderFailure as failure:
        log.warning("lab report extraction service unavailable (%s)", failure.kind.value)
        return Outcome(LabReportStatus.FAILED, error=EXTRACTION_UNAVAILABLE)
    if markers is None:
        log.warning("the model's lab markers were invalid twice; using the offline parser")
        markers = await asyncio.to_thread(parse_markers, text)
    return _ready(markers)


def _read_pages(pdf_bytes: bytes) -> list[str] | Outcome:
    """The pages' text, or the outcome of a PDF that has none."""
    try:
        pages = extract_text(pdf_bytes)
    except LabReportError as error:
        return Outcome(LabReportStatus.FAILED, error=str(error))
    if needs_ocr(pages):
        return Outcome(LabReportStatus.NEEDS_OCR)
    return pages


def _ready(markers: list[Marker]) -> Outcome:
    return Outcome(
        LabReportStatus.READY,
        markers=[marker.model_dump(mode="json") for marker in markers],
        missing_markers=missing_key_markers(markers),
    )


async def extract_report(
    sessionmaker: async_sessionmaker[AsyncSession],
    report_id: uuid.UUID,
    keep_pdf: bool,
    extractor: LabExtractor | None = None,
) -> LabReportStatus | None:
    """Read the report's markers (by `extractor` when given, else the offline parser); its
    status afterwards, None when the report is gone."""
    async with sessionmaker() as db:
        report = await db.get(LabReport, report_id)
        if report is None or report.status not in PENDING_REPORT_STATUSES:
            return None if report is None else report.status
        _update(report, status=LabReportStatus.PROCESSING)
        await db.commit()
        outcome = await _outcome(report.pdf, extractor)
        _update(
            report,
            status=outcome.status,
            markers=outcome.markers,
            missing_markers=outcome.missing_markers,
            error=outcome.error,
        )
        if not keep_pdf:
            report.pdf = None
        await db.commit()
        return outcome.status


async def _outcome(pdf_bytes: bytes | None, extractor: LabExtractor | None) -> Outcome:
    if pdf_bytes is None:
        return Outcome(LabReportStatus.FAILED, error=PDF_GONE)
    try:
        if extractor is not None:
            return await read_report_with(extractor, pdf_bytes)
        return await asyncio.to_thread(read_report, pdf_bytes)
    except Exception as error:  # a parser bug must end the report, not crash the worker
        log.warning("lab report extraction failed unexpectedly: %s", type(error).__name__)
        return Outcome(LabReportStatus.FAILED, error=UNEXPECTED_ERROR)


def _update(report: LabReport, **values: Any) -> None:
    for name, value in values.items():
        setattr(report, name, value)
    report.updated_at = utcnow()
