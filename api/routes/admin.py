"""Admin: log in with the PIN, re-index the knowledge base through a `kb.ingest` job, follow it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arq.jobs import Job, JobStatus
from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from api.admin_auth import ADMIN_ERRORS, AdminDep, configured_pin, issue_admin_token
from api.deps import ResourcesDep
from api.error_docs import BODY_ERRORS, error_responses
from api.errors import AdminDisabled, AdminPinInvalid, JobNotFound, PathNotAllowed
from api.ratelimit import (
    LIMIT_ERRORS,
    count_pin_failure,
    limit_admin,
    limit_admin_login,
    refuse_while_pins_fail,
)
from api.text_input import Text
from shared.config import Settings
from shared.db.models import DEFAULT_COLLECTION
from shared.jobs import NAME_PATTERN, IngestJob, JobName, new_job_id
from shared.streamed_jobs.queue import enqueue

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(limit_admin)])


class LoginIn(BaseModel):
    pin: Text = Field(min_length=1, max_length=128)


class LoginOut(BaseModel):
    token: str
    expires_in: int


class ReindexIn(BaseModel):
    paths: list[Text] = Field(
        default_factory=list,
        max_length=100,
        description="Files or folders under INGEST_ROOTS; empty: the shipped knowledge base.",
    )
    collection: str = Field(default=DEFAULT_COLLECTION, pattern=NAME_PATTERN)
    delete: bool = False


class ReindexOut(BaseModel):
    job_id: str
    status_url: str


class IngestJobOut(BaseModel):
    job_id: str
    status: str  # deferred, queued, in_progress, complete
    success: bool | None = None
    result: Any = None


@router.post(
    "/login",
    dependencies=[Depends(limit_admin_login)],
    responses=error_responses(*LIMIT_ERRORS, *BODY_ERRORS, AdminDisabled, AdminPinInvalid),
)
async def admin_login(body: LoginIn, request: Request, resources: ResourcesDep) -> LoginOut:
    """Exchange the admin PIN for a bearer token (5 tries per 15 minutes per IP; every login
    refused while the wrong PINs of all clients together are at their limit)."""
    settings = resources.settings
    configured_pin(settings)  # off: 503, whatever the failures
    await refuse_while_pins_fail(request, settings)
    try:
        token = issue_admin_token(settings, body.pin)
    except AdminPinInvalid:
        await count_pin_failure(request, settings)
        raise
    return LoginOut(token=token, expires_in=settings.admin_token_ttl_seconds)


def allowed_paths(settings: Settings, paths: list[str]) -> list[str]:
    """The paths resolved on this host, each inside one of INGEST_ROOTS (400 otherwise)."""
    roots = [root.resolve() for root in settings.ingest_roots or [settings.knowledge_base_path]]
    resolved = [Path(path).resolve() for path in paths] or [settings.knowledge_base_path.resolve()]
    for path in resolved:
        if not any(path.is_relative_to(root) for root in roots):
            raise PathNotAllowed(path)
    return [str(path) for path in resolved]


@router.post(
    "/kb/reindex",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[AdminDep],
    responses=error_responses(*LIMIT_ERRORS, *ADMIN_ERRORS, *BODY_ERRORS, PathNotAllowed),
)
async def admin_reindex(body: ReindexIn, resources: ResourcesDep) -> ReindexOut:
    """Queue a `kb.ingest` job; unchanged files are skipped, so re-running it is cheap."""
    paths = allowed_paths(resources.settings, body.paths)
    job_id = new_job_id()
    job = IngestJob(paths=paths, collection=body.collection, delete=body.delete)
    await enqueue(resources.arq, JobName.KB_INGEST, job, job_id)
    return ReindexOut(job_id=job_id, status_url=f"/v1/admin/kb/jobs/{job_id}")


@router.get(
    "/kb/jobs/{job_id}",
    dependencies=[AdminDep],
    responses=error_responses(*LIMIT_ERRORS, *ADMIN_ERRORS, JobNotFound),
)
async def admin_ingest_job(job_id: str, resources: ResourcesDep) -> IngestJobOut:
    """The job's state and, once complete, its per-file report."""
    job = Job(job_id, resources.arq)
    state = await job.status()
    if state is JobStatus.not_found:
        raise JobNotFound.ingestion()
    if state is not JobStatus.complete:
        return IngestJobOut(job_id=job_id, status=state.value)
    info = await job.result_info()
    success = bool(info and info.success)
    result = info.result if info and success else str(info.result if info else "")
    return IngestJobOut(job_id=job_id, status=state.value, success=success, result=result)
