"""One attempt of a streamed job, in named steps.

`run_attempt` begins the attempt (its number, taken from the job's record, fences every write:
once a later attempt starts, this one can neither stream nor end the job), announces a retry
with `reset`, runs the work under the job's deadline, and ends the job with `done` or `error`,
or leaves it for another attempt. The record's status and the terminal event are written in
one step, so an outcome is never recorded without its event or the other way round.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from shared.coalescing import EventCoalescer
from shared.events import (
    AttemptSuperseded,
    DoneData,
    ErrorData,
    EventPublisher,
    EventType,
    StatusChange,
)
from shared.jobs import ACTIVE_STATUSES, JobStatus, StreamedJob, now_ms
from shared.observability.metrics import (
    ANSWER_TIME,
    JOB_OUTCOMES,
    QUEUE_WAIT,
    TIME_TO_FIRST_TOKEN,
)
from shared.resilience.deadline import deadline_in
from shared.resources import Resources
from shared.streamed_jobs.failures import (
    INTERNAL_ERROR,
    UNAVAILABLE,
    FailurePolicy,
    RetryLater,
    failure_log,
    failure_outcome,
    is_transient,
)
from shared.streamed_jobs.sink import StreamSink

log = logging.getLogger(__name__)

RUNNING = frozenset({JobStatus.IN_PROGRESS})


class JobEnded(Exception):
    """The job was ended from outside (cancelled, its conversation or session erased) while this
    attempt ran: it stores nothing."""


def failed(error: ErrorData, from_statuses: frozenset[JobStatus] = RUNNING) -> StatusChange:
    fields = {"finished_at_ms": str(now_ms()), "error_code": error.code}
    return StatusChange(JobStatus.FAILED, from_statuses, {**fields, "error_message": error.message})


@dataclass
class JobAttempt:
    resources: Resources
    job: StreamedJob
    number: int  # the record's attempt count when this attempt began
    events: EventCoalescer
    started: float  # time.time()

    @classmethod
    async def begin(cls, resources: Resources, job: StreamedJob) -> JobAttempt | None:
        """The job's next attempt, or None when the job has ended."""
        started = time.time()
        number = await resources.jobs.start_attempt(job.job_id)
        if number == 0:
            return None
        events = EventCoalescer(resources.job_events(job.job_id, number), resources.event_ticker)
        return cls(resources, job, number, events, started)

    @property
    def sink(self) -> StreamSink:
        return StreamSink(self.events)

    def seconds_left(self) -> float:
        """Until the job's deadline, which runs from enqueue time."""
        deadline = self.job.enqueued_at_ms / 1000 + self.resources.settings.job_deadline_seconds
        return deadline - self.started

    async def announce_retry(self) -> None:
        """A later attempt first tells clients to drop what an earlier one streamed."""
        if self.number > 1:
            await self.events.add(EventType.RESET, {"reason": "retry"})

    @property
    def queue_ms(self) -> float:
        """How long the job waited before this attempt began."""
        return max(0.0, self.started * 1000 - self.job.enqueued_at_ms)

    async def ensure_running(self) -> None:
        """Raises JobEnded unless the job is still in progress: checked before an answer is
        stored, so an answer cancelled or erased meanwhile is not written back."""
        if await self.resources.jobs.status(self.job.job_id) not in RUNNING:
            raise JobEnded(self.job.job_id)

    async def complete(self, done: DoneData) -> str:
        """End the job with `done`, its outcome the stored message; the message id."""
        change = StatusChange(
            JobStatus.COMPLETE,
            RUNNING,
            {"finished_at_ms": str(now_ms()), "message_id": done.message_id},
        )
        if await self.events.end(EventType.DONE, done, change) is not None:
            _count_done(self.job, done)
        return done.message_id

    async def fail(self, error: ErrorData) -> None:
        if await self.events.end(EventType.ERROR, error, failed(error)) is not None:
            _count_failed(self.job, error)

    async def close(self) -> None:
        """Flush what is buffered; a write that fails now is voided by the next attempt."""
        try:
            await self.events.aclose()
        except Exception as error:
            if not (isinstance(error, AttemptSuperseded) or is_transient(error)):
                raise


def _count_done(job: StreamedJob, done: DoneData) -> None:
    name, timings = job.job_name.value, done.timings
    JOB_OUTCOMES.labels(job=name, outcome=JobStatus.COMPLETE.value, code="").inc()
    QUEUE_WAIT.labels(job=name).observe(timings.queue_ms / 1000)
    TIME_TO_FIRST_TOKEN.labels(job=name).observe(timings.ttft_ms / 1000)
    ANSWER_TIME.labels(job=name).observe(timings.total_ms / 1000)


def _count_failed(job: StreamedJob, error: ErrorData) -> None:
    failures = JOB_OUTCOMES.labels(job.job_name.value, JobStatus.FAILED.value, error.code)
    failures.inc()


# The attempt's work: stream the answer through `attempt.sink`, store it, then `attempt.complete`.
Work = Callable[[JobAttempt], Awaitable[str]]


async def run_attempt(
    resources: Resources, job: StreamedJob, last_try: bool, work: Work, policy: FailurePolicy
) -> str | None:
    """One attempt of `job`: what `work` returned, or None when the job had ended or failed.

    Raises RetryLater when another attempt may succeed, and AttemptSuperseded when a later
    attempt took the job over.
    """
    attempt = await JobAttempt.begin(resources, job)
    if attempt is None:
        return None
    seconds_left = attempt.seconds_left()
    deadline = asyncio.timeout(seconds_left)
    try:
        await attempt.announce_retry()
        async with deadline:
            with deadline_in(seconds_left):
                return await work(attempt)
    except AttemptSuperseded:
        raise
    except JobEnded:
        log.info("job ended while it ran; nothing stored", extra={"job_id": job.job_id})
    except Exception as error:
        await _settle(attempt, error, policy, deadline.expired(), last_try)
    finally:
        await attempt.close()
    return None


async def _settle(
    attempt: JobAttempt,
    error: BaseException,
    policy: FailurePolicy,
    deadline_passed: bool,
    last_try: bool,
) -> None:
    """End the job with the policy's error, or raise RetryLater for another attempt."""
    job_id = attempt.job.job_id
    if not is_transient(error):
        log.error(f"{policy.label} job failed", exc_info=error, extra={"job_id": job_id})
        await attempt.fail(INTERNAL_ERROR)
        return
    log.warning(f"{policy.label} attempt failed", extra={"job_id": job_id, **failure_log(error)})
    outcome = failure_outcome(policy, error, deadline_passed, last_try)
    if outcome is None:
        raise RetryLater from error
    await attempt.fail(outcome)


async def fail_exhausted(resources: Resources, job: StreamedJob) -> None:
    """End a job whose attempts all ended without an answer (e.g. crashed workers)."""
    publisher: EventPublisher = resources.job_events(job.job_id)
    change = failed(UNAVAILABLE, ACTIVE_STATUSES)
    if await publisher.publish(EventType.ERROR, UNAVAILABLE, change) is not None:
        _count_failed(job, UNAVAILABLE)
