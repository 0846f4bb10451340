"""Blood-work reports: upload a lab-report PDF, then poll while the worker reads its markers.

The upload is checked before it is queued (magic bytes, size, page count, encryption) and kept
in the PDF store (the `lab_report` row, or an S3-compatible bucket) until the worker has read
it. A Content-Length over the limit is refused before the body is read; a body without one
(chunked) is counted while it streams in and refused as soon as it passes the limit, so at most
the limit is ever spooled.
A pending report that stopped moving is failed when it is polled or blocks an upload.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from api.deps import SESSION_ERRORS, ResourcesDep, SessionDep, require_json
from api.error_docs import BODY_ERRORS, error_responses
from api.errors import (
    ApiError,
    BadRequest,
    ConversationNotFound,
    FileEmpty,
    FileMissing,
    FileTooLarge,
    NotAPdf,
    PdfDamaged,
    PdfEncrypted,
    ReportNotFound,
    ReportNotReady,
    RequestTimeout,
    TooManyPages,
    UnsupportedMediaType,
    UploadPending,
    ValidationFailed,
)
from api.question_admission import (
    AskedQuestion,
    JobReplyDep,
    Language,
    QuestionAccepted,
    admit_question,
)
from api.ratelimit import LIMIT_ERRORS, limit_chat, limit_upload
from api.stream_docs import multipart_file
from api.text_input import Text
from shared.bloodwork import reports
from shared.bloodwork.analysis import analysis_question, confirmed_marker
from shared.bloodwork.errors import (
    DamagedPdfError,
    EncryptedPdfError,
    LabReportError,
    NotPdfError,
    TooManyPagesError,
)
from shared.bloodwork.markers import canonical_name
from shared.bloodwork.parser import check_pdf
from shared.db.models import PENDING_REPORT_STATUSES, LabReport, LabReportStatus, UserSession
from shared.jobs import BloodworkAnalysisJob, BloodworkJob, JobName, new_job_id
from shared.resources import Resources
from shared.storage.pdfs import PdfStoreUnavailable
from shared.streamed_jobs.queue import enqueue

router = APIRouter(prefix="/v1/bloodwork", tags=["bloodwork"])

FIELD = "file"
# Room in Content-Length for the multipart boundaries and part headers around the file.
MULTIPART_OVERHEAD_BYTES = 16_384
POLL_AFTER_SECONDS = "1"
REFUSALS: dict[type[LabReportError], type[ApiError]] = {
    NotPdfError: NotAPdf,
    DamagedPdfError: PdfDamaged,
    EncryptedPdfError: PdfEncrypted,
    TooManyPagesError: TooManyPages,
}


ReportId = Annotated[
    uuid.UUID, Path(description="The report id, or the job id the upload returned")
]


class BloodworkAccepted(BaseModel):
    report_id: uuid.UUID
    job_id: str
    status_url: str


class BloodworkOut(BaseModel):
    report_id: uuid.UUID
    status: str
    progress: int = Field(description="Percent of the reading done: 0 queued, 100 finished.")
    markers: list[dict[str, Any]]
    missing_markers: list[str]
    error: str | None


def _largest_body(max_bytes: int) -> int:
    """The largest request body an upload of at most `max_bytes` comes in."""
    return max_bytes + MULTIPART_OVERHEAD_BYTES


async def refuse_large_body(
    resources: ResourcesDep,
    # Set by the HTTP client, not a parameter of the API: kept out of the schema.
    content_length: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    max_bytes = resources.settings.bloodwork_max_bytes
    if content_length is not None and content_length.strip().isdigit():
        if int(content_length) > _largest_body(max_bytes):
            raise FileTooLarge(max_bytes)


def _counted(receive: Receive, max_bytes: int) -> Receive:
    """`receive` refusing the body (413) as soon as more than the largest upload has come."""
    received = 0

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > _largest_body(max_bytes):
            raise FileTooLarge(max_bytes)
        return message

    return counting


async def _read_upload(request: Request, max_bytes: int) -> bytes:
    counted = Request(request.scope, _counted(request.receive, max_bytes))
    form = await counted.form(max_files=1, max_fields=5)
    upload = form.get(FIELD)
    if not isinstance(upload, UploadFile):
        raise FileMissing(FIELD)
    try:
        content = await upload.read(max_bytes + 1)
    finally:
        await form.close()
    if len(content) > max_bytes:
        raise FileTooLarge(max_bytes)
    if not content:
        raise FileEmpty
    return content


async def _page_count(content: bytes, max_pages: int) -> int:
    try:
        return await asyncio.to_thread(check_pdf, content, max_pages)
    except LabReportError as error:
        raise REFUSALS.get(type(error), PdfDamaged)(_sentence(str(error))) from error


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


async def _store(resources: Resources, report: LabReport, content: bytes) -> None:
    """Record the report, then keep its PDF for the worker; 409 while another one is pending."""
    if not await reports.record(resources.sessionmaker, report):
        abandoned = await reports.give_up_abandoned(
            resources.sessionmaker, report.session_id, _stale_after(resources)
        )
        if not (abandoned and await reports.record(resources.sessionmaker, report)):
            raise UploadPending
    try:
        await resources.pdf_store.put(report.session_id, report.id, content)
    except Exception:
        await _forget(resources, report)  # or the session could never upload again
        raise


def _stale_after(resources: Resources) -> timedelta:
    return timedelta(seconds=resources.settings.bloodwork_stale_seconds)


async def _forget(resources: Resources, report: LabReport) -> None:
    await reports.forget(resources.sessionmaker, report.id)
    # A store that is down keeps the orphan until its expiry rule (docs/deployment.md).
    with contextlib.suppress(PdfStoreUnavailable):
        await resources.pdf_store.delete(report.session_id, report.id)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(limit_upload), Depends(refuse_large_body)],
    response_model=BloodworkAccepted,
    openapi_extra=multipart_file(FIELD, "The lab report, a PDF (digital or scanned)."),
    responses=error_responses(
        *LIMIT_ERRORS,
        *SESSION_ERRORS,
        RequestTimeout,
        FileTooLarge,
        BadRequest,
        FileMissing,
        FileEmpty,
        *REFUSALS.values(),
        UploadPending,
    ),
)
async def upload_bloodwork(
    request: Request, session: SessionDep, resources: ResourcesDep
) -> JSONResponse:
    """Upload a lab-report PDF (multipart field `file`); poll `status_url` for its markers."""
    settings = resources.settings
    content = await _read_upload(request, settings.bloodwork_max_bytes)
    pages = await _page_count(content, settings.bloodwork_max_pages)
    report = LabReport(
        session_id=session.id, job_id=new_job_id(), size_bytes=len(content), pages=pages
    )
    await _store(resources, report, content)
    try:
        await enqueue(
            resources.arq,
            JobName.BLOODWORK_EXTRACT,
            BloodworkJob(report_id=report.id),
            report.job_id,
        )
    except Exception:
        await _forget(resources, report)  # or the session could never upload again
        raise
    accepted = BloodworkAccepted(
        report_id=report.id, job_id=report.job_id, status_url=f"/v1/bloodwork/{report.id}"
    )
    return JSONResponse(
        accepted.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": accepted.status_url},
    )


async def _owned_report(
    resources: Resources, report_id: uuid.UUID, session: UserSession
) -> LabReport:
    """The session's report known by its id or by the id of the job reading it."""
    report = await reports.find(resources.sessionmaker, report_id)
    if report is None or report.session_id != session.id:
        raise ReportNotFound  # never reveal others' reports
    return report


@router.get(
    "/{report_id}",
    response_model=BloodworkOut,
    responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS, ValidationFailed, ReportNotFound),
)
async def get_bloodwork(
    report_id: ReportId,
    session: SessionDep,
    resources: ResourcesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The report's status and, once ready, its markers; `Retry-After` while it is pending."""
    report = await _owned_report(resources, report_id, session)
    if reports.is_abandoned(report, _stale_after(resources)):
        await reports.give_up(resources.sessionmaker, report.id, reports.ABANDONED)
        report = await _owned_report(resources, report.id, session)
    body = BloodworkOut(
        report_id=report.id,
        status=report.status,
        progress=report.progress,
        markers=report.markers,
        missing_markers=report.missing_markers,
        error=report.error,
    ).model_dump(mode="json")
    content = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    headers = {"ETag": f'"{hashlib.sha256(content).hexdigest()[:32]}"'}
    if report.status in PENDING_REPORT_STATUSES:
        headers["Retry-After"] = POLL_AFTER_SECONDS
    if if_none_match is not None and headers["ETag"] in _etags(if_none_match):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


def _etags(if_none_match: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


class ConfirmedMarkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    canonical_name: Text = Field(description="A marker name, e.g. FSH, AMH, Estradiol")
    value: float = Field(allow_inf_nan=False)
    unit: Text = Field(min_length=1, max_length=32)

    @field_validator("canonical_name")
    @classmethod
    def _known_marker(cls, value: str) -> str:
        try:
            return canonical_name(value)
        except KeyError:
            raise ValueError(f"unknown marker {value[:40]!r}") from None


class AnalysisIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    markers: list[ConfirmedMarkerIn] = Field(
        min_length=1, max_length=50, description="The values the user confirmed or edited."
    )
    treatment_stage: Text | None = Field(default=None, max_length=80)
    language: Language = None
    conversation_id: uuid.UUID | None = Field(
        default=None, description="The conversation to add the analysis to; a new one if unset."
    )

    @field_validator("treatment_stage")
    @classmethod
    def _blank_stage_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


@router.post(
    "/{report_id}/analysis",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_json), Depends(limit_chat)],
    response_model=QuestionAccepted,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "streamed analysis"},
        **error_responses(
            *LIMIT_ERRORS,
            *SESSION_ERRORS,
            UnsupportedMediaType,
            *BODY_ERRORS,
            ReportNotFound,
            ReportNotReady,
            ConversationNotFound,
        ),
    },
)
async def analyse_bloodwork(
    report_id: ReportId,
    body: AnalysisIn,
    session: SessionDep,
    resources: ResourcesDep,
    reply: JobReplyDep,
) -> Response:
    """Explain the confirmed (or edited) markers; the analysis streams like a chat answer."""
    report = await _owned_report(resources, report_id, session)
    if report.status != LabReportStatus.READY:
        raise ReportNotReady
    markers = [
        confirmed_marker(m.canonical_name, m.value, m.unit, report.markers) for m in body.markers
    ]
    question = analysis_question(markers, body.treatment_stage)
    asked = AskedQuestion(question, body.language, body.conversation_id)
    job = await admit_question(
        resources, session, asked, BloodworkAnalysisJob,
        report_id=report.id, markers=[marker.model_dump(mode="json") for marker in markers],
        treatment_stage=body.treatment_stage,
    )  # fmt: skip
    return reply.to(job)
