"""Job contracts between API and worker: names, payloads and the one way to enqueue."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, ClassVar

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss
from pydantic import BaseModel, Field

from shared.events import ErrorData
from shared.jobstore import ACTIVE_STATUSES, JobRecord, JobStatus, JobStore, now_ms
from shared.knowledge.names import NAME_PATTERN

# Enqueue pushes a token here; idle workers block on it instead of polling the queue.
WAKE_KEY = "izana:worker:wake"
WAKE_KEY_MAX_LEN = 1000


class JobName(StrEnum):
    CHAT_ANSWER = "chat.answer"
    KB_INGEST = "kb.ingest"
    BLOODWORK_EXTRACT = "bloodwork.extract"
    BLOODWORK_ANALYSIS = "bloodwork.analysis"


class StreamedJob(BaseModel):
    """A job that answers a question of a conversation over the event stream."""

    job_name: ClassVar[JobName]

    job_id: str
    session_id: uuid.UUID
    conversation_id: uuid.UUID
    language: str | None = None  # None: the question's own
    enqueued_at_ms: int

    def queued_record(self) -> JobRecord:
        """The job's record when it is queued."""
        return JobRecord(
            job_id=self.job_id,
            name=self.job_name.value,
            status=JobStatus.QUEUED,
            session_id=str(self.session_id),
            conversation_id=str(self.conversation_id),
            created_at_ms=self.enqueued_at_ms,
        )


class ChatJob(StreamedJob):
    job_name = JobName.CHAT_ANSWER

    message: str = Field(min_length=1)


class IngestJob(BaseModel):
    """Ingest (or remove) files the worker can read, e.g. on a volume shared with the API."""

    paths: list[str] = Field(min_length=1)
    collection: str = Field(default="kb", pattern=NAME_PATTERN)
    category: str | None = Field(default=None, pattern=NAME_PATTERN)
    delete: bool = False


class BloodworkJob(BaseModel):
    """Read the markers of an uploaded lab report (its PDF waits in the PDF store)."""

    report_id: uuid.UUID


class BloodworkAnalysisJob(StreamedJob):
    """Explain the markers the user confirmed (canonical, flagged `Marker` dumps)."""

    job_name = JobName.BLOODWORK_ANALYSIS

    report_id: uuid.UUID
    markers: list[dict[str, Any]] = Field(min_length=1)
    treatment_stage: str | None = None


JOB_PAYLOADS: dict[JobName, type[BaseModel]] = {
    JobName.CHAT_ANSWER: ChatJob,
    JobName.KB_INGEST: IngestJob,
    JobName.BLOODWORK_EXTRACT: BloodworkJob,
    JobName.BLOODWORK_ANALYSIS: BloodworkAnalysisJob,
}


def new_job_id() -> str:
    return uuid.uuid4().hex


async def enqueue(arq: ArqRedis, name: JobName, payload: BaseModel, job_id: str) -> None:
    """Put a job on the ARQ queue under our own id and wake one idle worker."""
    expected = JOB_PAYLOADS[name]
    if not isinstance(payload, expected):
        raise TypeError(f"{name} takes {expected.__name__}, not {type(payload).__name__}")
    job = await arq.enqueue_job(name.value, payload.model_dump(mode="json"), _job_id=job_id)
    if job is None:
        raise RuntimeError(f"job id {job_id} is already queued")
    async with arq.pipeline(transaction=False) as pipe:
        pipe.lpush(WAKE_KEY, b"1")
        pipe.ltrim(WAKE_KEY, 0, WAKE_KEY_MAX_LEN - 1)
        await pipe.execute()


CANCELLED = ErrorData(code="cancelled", message="The request was cancelled.", retryable=False)


async def cancel(jobs: JobStore, arq: ArqRedis, job_id: str) -> bool:
    """End a queued or running job `cancelled` and have ARQ abort it; False when it had ended."""
    cancelled = await jobs.transition(
        job_id, JobStatus.CANCELLED, ACTIVE_STATUSES, finished_at_ms=now_ms(),
        error_code=CANCELLED.code, error_message=CANCELLED.message,
    )  # fmt: skip
    if cancelled:
        await arq.zadd(abort_jobs_ss, {job_id: now_ms()})
    return cancelled
