"""Runs one chat job: pipeline → persisted message → events, safe to run more than once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.answering import AnswerSource, produce_answer
from shared.conversations import Answer, Question, save_exchange
from shared.events import (
    Citation,
    DoneData,
    ErrorData,
    EventPublisher,
    EventType,
    Stage,
    Timings,
)
from shared.jobs import ChatJob
from shared.jobstore import JobStatus, now_ms
from shared.rag.pipeline import AnswerResult
from shared.resilience.deadline import deadline_in
from shared.resilience.errors import FailureKind, ProviderFailure
from shared.resources import Resources
from shared.token_coalescer import TokenCoalescer

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = (
    OSError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    InterfaceError,
)


class RetryLater(Exception):
    """A transient failure on an attempt that may be retried."""


@dataclass
class StreamSink:
    """Sends pipeline output to the job's event stream through the token coalescer."""

    events: TokenCoalescer

    async def status(self, stage: Stage) -> None:
        await self.events.publish(EventType.STATUS, {"stage": stage.value})

    async def token(self, text: str) -> None:
        await self.events.add(text)

    async def reset(self, reason: str) -> None:
        await self.events.publish(EventType.RESET, {"reason": reason})

    async def citations(self, citations: list[Citation]) -> None:
        await self.events.publish(EventType.CITATIONS, [c.model_dump() for c in citations])

    async def suggestions(self, suggestions: list[str]) -> None:
        await self.events.publish(EventType.SUGGESTIONS, suggestions)


RUNNING = frozenset({JobStatus.IN_PROGRESS})


async def fail_job(
    resources: Resources,
    job_id: str,
    events: EventPublisher | TokenCoalescer,
    error: ErrorData,
    from_statuses: frozenset[JobStatus] = RUNNING,
) -> None:
    """End a streamed job with `error`, once: only the attempt that moves its record publishes."""
    failed = await resources.jobs.transition(
        job_id,
        JobStatus.FAILED,
        from_statuses,
        finished_at_ms=now_ms(),
        error_code=error.code,
        error_message=error.message,
    )
    if failed:
        await events.publish(EventType.ERROR, error)


async def complete_job(
    resources: Resources,
    question: Question,
    enqueued_at_ms: int,
    events: TokenCoalescer,
    result: AnswerResult,
    started: float,
) -> str:
    """Store `question` and its answer, complete the job and publish `done`; the message id."""
    answer = Answer(
        content=result.answer,
        language=result.answer_language,
        answer_mode=result.mode,
        citations=[c.model_dump() for c in result.citations],
        suggestions=result.suggestions,
        timings={"retrieval_ms": result.retrieval_ms, "ttft_ms": result.ttft_ms},
        audit=result.audit,
        gap_score=result.best_score if result.knowledge_gap else None,
    )
    message_id = await save_exchange(resources.sessionmaker, question, answer)
    timings = Timings(
        queue_ms=max(0.0, started * 1000 - enqueued_at_ms),
        retrieval_ms=result.retrieval_ms,
        ttft_ms=result.ttft_ms,
        total_ms=result.total_ms,
    )
    done = DoneData(
        message_id=str(message_id),
        answer=result.answer,
        cached=result.audit.get("source") == AnswerSource.CACHE,
        mode=result.mode,
        language=result.answer_language,
        timings=timings,
    )
    completed = await resources.jobs.transition(
        question.job_id,
        JobStatus.COMPLETE,
        RUNNING,
        finished_at_ms=now_ms(),
        message_id=str(message_id),
    )
    if completed:
        await events.publish(EventType.DONE, done)
    return str(message_id)


DEADLINE_EXCEEDED = ErrorData(
    code="deadline_exceeded", message="The answer took too long; please ask again.", retryable=True
)
UNAVAILABLE = ErrorData(
    code="temporarily_unavailable",
    message="The assistant is temporarily unavailable; please try again shortly.",
    retryable=True,
)
INTERNAL_ERROR = ErrorData(
    code="internal_error", message="Something went wrong while answering.", retryable=False
)


PROVIDER_REFUSED = ErrorData(
    code="provider_error",
    message="The assistant could not answer this question; please rephrase it or try later.",
    retryable=False,
)


def _failure_log(error: BaseException) -> dict[str, object]:
    if isinstance(error, ProviderFailure):
        return {"kind": error.kind.value, "model": error.target.key, "status": error.status}
    return {"kind": type(error).__name__}


@dataclass(frozen=True)
class FailurePolicy:
    """How a streamed job's attempt ends when it fails."""

    label: str  # names the job in logs
    deadline: ErrorData  # the job's deadline passed
    refused: ErrorData | None  # a provider refused for good; None: retried like other failures


CHAT_POLICY = FailurePolicy("chat", DEADLINE_EXCEEDED, PROVIDER_REFUSED)

# The attempt's work, given the job's coalesced event stream and the attempt's start time.
Work = Callable[[TokenCoalescer, float], Awaitable[str | None]]


async def _after_failure(
    resources: Resources,
    job_id: str,
    events: TokenCoalescer,
    error: BaseException,
    deadline_passed: bool,
    last_try: bool,
    policy: FailurePolicy,
) -> None:
    """Report a failed attempt for good, or raise RetryLater when another try may succeed."""
    log.warning(f"{policy.label} attempt failed", extra={"job_id": job_id, **_failure_log(error)})
    permanent = isinstance(error, ProviderFailure) and error.kind is FailureKind.PERMANENT
    if deadline_passed:
        await fail_job(resources, job_id, events, policy.deadline)
    elif permanent and policy.refused is not None:
        await fail_job(resources, job_id, events, policy.refused)
    elif last_try:
        await fail_job(resources, job_id, events, UNAVAILABLE)
    else:
        raise RetryLater from error


async def run_attempt(
    resources: Resources,
    job_id: str,
    enqueued_at_ms: int,
    job_try: int,
    last_try: bool,
    work: Work,
    policy: FailurePolicy,
) -> str | None:
    """One attempt of a streamed job: `work` under the job's deadline, failures reported by
    `policy`. Returns what `work` returned, or None when the job had ended or failed. Raises
    RetryLater when another attempt may succeed.
    """
    settings = resources.settings
    started = time.time()
    if await resources.jobs.start_attempt(job_id) == 0:
        return None
    events = TokenCoalescer(resources.job_events(job_id), settings.token_flush_interval_ms / 1000)
    seconds_left = settings.job_deadline_seconds - (started - enqueued_at_ms / 1000)
    deadline = asyncio.timeout(seconds_left)
    try:
        if job_try > 1:
            await events.publish(EventType.RESET, {"reason": "retry"})
        async with deadline:
            with deadline_in(seconds_left):
                return await work(events, started)
    except (ProviderFailure, *TRANSIENT_ERRORS) as error:
        await _after_failure(resources, job_id, events, error, deadline.expired(), last_try, policy)
    except Exception:
        log.exception(f"{policy.label} job failed", extra={"job_id": job_id})
        await fail_job(resources, job_id, events, INTERNAL_ERROR)
    finally:
        await events.aclose()
    return None


async def run_chat_job(
    resources: Resources, job: ChatJob, job_try: int, last_try: bool
) -> str | None:
    """Answer `job`; returns the message id, or None when it had ended or failed for good.

    Raises RetryLater for a transient failure when another attempt is allowed.
    """

    async def answer(events: TokenCoalescer, started: float) -> str:
        result = await produce_answer(resources, job, StreamSink(events))
        question = Question(
            job.job_id, job.session_id, job.conversation_id, job.message, result.language
        )
        return await complete_job(resources, question, job.enqueued_at_ms, events, result, started)

    return await run_attempt(
        resources, job.job_id, job.enqueued_at_ms, job_try, last_try, answer, CHAT_POLICY
    )


async def fail_exhausted(resources: Resources, job: ChatJob) -> None:
    """Report a job whose attempts all ended without an answer (e.g. crashed workers)."""
    await fail_job(resources, job.job_id, resources.job_events(job.job_id), UNAVAILABLE)
