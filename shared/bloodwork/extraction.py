"""The `bloodwork.extract` job's work: read a stored lab report's markers and record them.

The markers are read by the chat model when an extractor is given, by the offline parser
otherwise or when the model's reply is invalid twice; a provider that fails for good ends the
report `failed`, and so does a reading that outlasts its deadline. Re-running it is harmless: a
report that already has its outcome is left as it is. Lab values and report text are never
logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bloodwork import reports
from shared.bloodwork.errors import LabReportError
from shared.bloodwork.llm_extraction import LabExtractor
from shared.bloodwork.models import Marker
from shared.bloodwork.ocr import ocr_available, ocr_pages
from shared.bloodwork.parser import extract_text, missing_key_markers, needs_ocr, parse_markers
from shared.bloodwork.reports import Outcome
from shared.db.models import LabReportStatus
from shared.resilience.errors import ProviderFailure
from shared.storage.pdfs import PdfStore

log = logging.getLogger(__name__)

# Two readings of a value this close (relative) are the same value, rounded differently.
SAME_VALUE_TOLERANCE = 0.005
UNEXPECTED_ERROR = "the report could not be read; please try again or upload another copy"
PDF_GONE = "the uploaded file is no longer available; please upload it again"
EXTRACTION_UNAVAILABLE = "the extraction service is unavailable; try again later"
TOO_SLOW = "the report took too long to read; please upload another copy"
NO_OCR = (
    "the report is a scan (it has no text) and this server cannot read scans; upload the "
    "laboratory's own PDF, or the scan after an OCR tool (e.g. `ocrmypdf scan.pdf report.pdf`)"
)
NOTHING_READ = "no text could be read from the scanned pages; please upload a sharper scan"

Result = TypeVar("Result")


@dataclass(frozen=True)
class Reading:
    """How reports are read: by `extractor` (None: the offline parser), within a deadline."""

    extractor: LabExtractor | None
    timeout_seconds: float
    keep_pdf: bool = False


@dataclass(frozen=True)
class ReportText:
    text: str  # every page's
    scanned: bool  # read by OCR


def read_pages(pdf_bytes: bytes) -> ReportText | Outcome:
    """The report's text, through OCR for a scan when Tesseract is installed, or the outcome of
    a PDF none can be read from; blocking (pypdf, Tesseract)."""
    try:
        pages = extract_text(pdf_bytes)
    except LabReportError as error:
        return Outcome(LabReportStatus.FAILED, error=str(error))
    if not needs_ocr(pages):
        return ReportText("\n".join(pages), scanned=False)
    if not ocr_available():
        return Outcome(LabReportStatus.NEEDS_OCR, error=NO_OCR)
    pages = ocr_pages(pdf_bytes)
    if needs_ocr(pages):
        return Outcome(LabReportStatus.NEEDS_OCR, error=NOTHING_READ)
    return ReportText("\n".join(pages), scanned=True)


def read_offline(report: ReportText) -> list[Marker]:
    """The markers the offline reader finds in the report; blocking."""
    return parse_markers(report.text, report.scanned)


async def read_markers(report: ReportText, extractor: LabExtractor | None) -> Outcome:
    """The markers in a report's text, as the model reads them when there is one."""
    if extractor is None:
        return _ready(await asyncio.to_thread(read_offline, report))
    try:
        markers = await extractor.extract(report.text)
    except ProviderFailure as failure:
        log.warning("lab report extraction service unavailable (%s)", failure.kind.value)
        return Outcome(LabReportStatus.FAILED, error=EXTRACTION_UNAVAILABLE)
    offline = await asyncio.to_thread(read_offline, report)
    if markers is None:
        log.warning("the model's lab markers were invalid twice; using the offline parser")
        return _ready(offline)
    return _ready(marked_disagreements(markers, offline))


def marked_disagreements(model: list[Marker], offline: list[Marker]) -> list[Marker]:
    """The model's markers, each one the offline reader read another value of marked for the
    user's confirmation with that value, rather than one of the two chosen silently."""
    read = {marker.canonical_name: marker for marker in reversed(offline)}
    return [_compared(marker, read.get(marker.canonical_name)) for marker in model]


def _compared(model: Marker, offline: Marker | None) -> Marker:
    if offline is None or offline.unit != model.unit or _same(offline.value, model.value):
        return model
    return model.model_copy(update={"needs_confirmation": True, "other_value": offline.value})


def _same(one: float, other: float) -> bool:
    return math.isclose(one, other, rel_tol=SAME_VALUE_TOLERANCE, abs_tol=1e-9)


def _ready(markers: list[Marker]) -> Outcome:
    return Outcome(
        LabReportStatus.READY,
        markers=[marker.model_dump(mode="json") for marker in markers],
        missing_markers=missing_key_markers(markers),
    )


async def extract_report(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: PdfStore,
    report_id: uuid.UUID,
    reading: Reading,
) -> LabReportStatus | None:
    """Read the report's markers and record them; its status afterwards, None when it is gone.

    Raises `PdfStoreUnavailable` or a database error for the job to retry.
    """
    report = await reports.claim(sessionmaker, report_id)
    if report is None or report.status != LabReportStatus.PROCESSING:
        return None if report is None else report.status
    pdf_bytes = await store.get(report.session_id, report_id)
    text_read = partial(reports.record_progress, sessionmaker, report_id, reports.TEXT_READ_PERCENT)
    outcome = await _within_deadline(
        _outcome(pdf_bytes, reading.extractor, text_read), reading.timeout_seconds
    )
    status = await reports.record_outcome(sessionmaker, report_id, outcome)
    if not reading.keep_pdf:
        await store.delete(report.session_id, report_id)
    return status


async def _within_deadline(reading: Awaitable[Outcome], timeout_seconds: float) -> Outcome:
    try:
        async with asyncio.timeout(timeout_seconds):
            return await reading
    except TimeoutError:
        log.warning("lab report extraction timed out after %.0f s", timeout_seconds)
        return Outcome(LabReportStatus.FAILED, error=TOO_SLOW)


async def _outcome(
    pdf_bytes: bytes | None,
    extractor: LabExtractor | None,
    text_read: Callable[[], Awaitable[None]],
) -> Outcome:
    if pdf_bytes is None:
        return Outcome(LabReportStatus.FAILED, error=PDF_GONE)
    report = await _unless_broken(asyncio.to_thread(read_pages, pdf_bytes))
    if isinstance(report, Outcome):
        return report
    await text_read()
    return await _unless_broken(read_markers(report, extractor))


async def _unless_broken(reading: Awaitable[Result]) -> Result | Outcome:
    """`reading`'s result, or a failed outcome when it raised: a parser bug must end the
    report, not crash the worker."""
    try:
        return await reading
    except Exception as error:
        log.warning("lab report extraction failed unexpectedly: %s", type(error).__name__)
        return Outcome(LabReportStatus.FAILED, error=UNEXPECTED_ERROR)
