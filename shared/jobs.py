"""Job contracts between API and worker: names, payloads, and the record every streamed job
keeps in Redis (who owns it, where it stands, how it ended)."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from redis.asyncio import Redis

# Collection and category names become Pinecone namespaces, index predicates and Redis keys.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class JobStatus(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.IN_PROGRESS})

# Moves a job's record to status `to`, writing the field/value pairs that follow, if its status
# is one of the comma-separated `allowed`; whether it moved. Every script that changes a job's
# status starts with this function.
MOVE_RECORD_LUA = """
local function move_record(key, allowed, to, ...)
  local current = redis.call('HGET', key, 'status')
  for status in string.gmatch(allowed, '[^,]+') do
    if status == current then
      redis.call('HSET', key, 'status', to, ...)
      return true
    end
  end
  return false
end
"""

# ARGV: new status, comma-separated allowed statuses, field/value pairs. Returns 1 if it moved.
_TRANSITION = (
    MOVE_RECORD_LUA
    + """
if move_record(KEYS[1], ARGV[2], ARGV[1], unpack(ARGV, 3)) then return 1 end
return 0
"""
)

# Starts one more attempt of a job in one of the comma-separated statuses in ARGV[1]: moves it
# to ARGV[2] with its start time ARGV[3]; returns the attempt's number, 0 once the job ended.
_START_ATTEMPT = (
    MOVE_RECORD_LUA
    + """
if move_record(KEYS[1], ARGV[1], ARGV[2], 'started_at_ms', ARGV[3]) then
  return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
end
return 0
"""
)


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    name: str
    status: JobStatus
    session_id: str
    conversation_id: str
    created_at_ms: int
    started_at_ms: int | None = None
    finished_at_ms: int | None = None
    attempts: int = 0
    message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def from_hash(cls, values: dict[str, str]) -> JobRecord:
        kwargs: dict[str, Any] = {}
        for field in fields(cls):
            raw = values.get(field.name)
            if raw is None:
                continue
            kwargs[field.name] = (
                int(raw) if field.name.endswith("_ms") or field.name == "attempts" else raw
            )
        kwargs["status"] = JobStatus(kwargs["status"])
        return cls(**kwargs)

    def to_hash(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items() if value is not None}


def now_ms() -> int:
    return int(time.time() * 1000)


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


class JobStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl_seconds = ttl_seconds
        self._transition = redis.register_script(_TRANSITION)
        self._start_attempt = redis.register_script(_START_ATTEMPT)

    async def create(self, record: JobRecord) -> None:
        key = job_key(record.job_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=record.to_hash())
            pipe.expire(key, self._ttl_seconds)
            await pipe.execute()

    async def get(self, job_id: str) -> JobRecord | None:
        values: dict[str, str] = await self._redis.hgetall(job_key(job_id))  # type: ignore[misc]
        return JobRecord.from_hash(values) if values else None

    async def status(self, job_id: str) -> JobStatus | None:
        """The job's status; None once its record is gone."""
        value: str | None = await self._redis.hget(job_key(job_id), "status")  # type: ignore[misc]
        return JobStatus(value) if value else None

    async def transition(
        self, job_id: str, to: JobStatus, allowed_from: frozenset[JobStatus], **changes: object
    ) -> bool:
        """Atomically move to `to` if the job is in one of `allowed_from`; False otherwise."""
        pairs = [str(item) for key, value in changes.items() for item in (key, value)]
        allowed = ",".join(sorted(allowed_from))
        moved = await self._transition(keys=[job_key(job_id)], args=[to.value, allowed, *pairs])
        return bool(moved)

    async def start_attempt(self, job_id: str) -> int:
        """Mark the job in progress for one more attempt; returns the attempt number, 0 if ended."""
        active = ",".join(sorted(ACTIVE_STATUSES))
        args: list[str | int] = [active, JobStatus.IN_PROGRESS.value, now_ms()]
        attempt = await self._start_attempt(keys=[job_key(job_id)], args=args)
        return int(attempt)


class JobName(StrEnum):
    CHAT_ANSWER = "chat.answer"
    KB_INGEST = "kb.ingest"
    BLOODWORK_EXTRACT = "bloodwork.extract"
    BLOODWORK_ANALYSIS = "bloodwork.analysis"


class JobPayload(BaseModel):
    """What every job carries from the HTTP request that enqueued it (`streamed_jobs.queue`
    fills it in): its request id, for the worker's log lines, and its W3C trace context. Both
    optional, so payloads enqueued before them stay valid."""

    request_id: str | None = None
    trace_context: dict[str, str] = Field(default_factory=dict)


class StreamedJob(JobPayload):
    """A job that answers a question of a conversation over the event stream."""

    job_name: ClassVar[JobName]

    job_id: str
    session_id: uuid.UUID
    conversation_id: uuid.UUID
    new_conversation: bool = False  # True: it has no earlier messages to read
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


class IngestJob(JobPayload):
    """Ingest (or remove) files the worker can read, e.g. on a volume shared with the API."""

    paths: list[str] = Field(min_length=1)
    collection: str = Field(default="kb", pattern=NAME_PATTERN)
    category: str | None = Field(default=None, pattern=NAME_PATTERN)
    delete: bool = False


class BloodworkJob(JobPayload):
    """Read the markers of an uploaded lab report (its PDF waits in the PDF store)."""

    report_id: uuid.UUID


class BloodworkAnalysisJob(StreamedJob):
    """Explain the markers the user confirmed (canonical, flagged `Marker` dumps)."""

    job_name = JobName.BLOODWORK_ANALYSIS

    report_id: uuid.UUID
    markers: list[dict[str, Any]] = Field(min_length=1)
    treatment_stage: str | None = None


JOB_PAYLOADS: dict[JobName, type[JobPayload]] = {
    JobName.CHAT_ANSWER: ChatJob,
    JobName.KB_INGEST: IngestJob,
    JobName.BLOODWORK_EXTRACT: BloodworkJob,
    JobName.BLOODWORK_ANALYSIS: BloodworkAnalysisJob,
}


def new_job_id() -> str:
    return uuid.uuid4().hex
