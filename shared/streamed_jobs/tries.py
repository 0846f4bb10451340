"""How a job's attempts map onto ARQ's tries.

ARQ counts a try each time a worker starts the job, including after a worker died or its
lease lapsed. A job is given `JOB_MAX_TRIES` attempts; ARQ allows a few tries more, so that
the job itself reports exhausted attempts (an `error` event, a failed report) even when that
report has to wait for Redis. A `RetryLater`, or a connection error that kept the attempt from
recording its outcome, becomes ARQ's deferred retry with exponential backoff. An attempt that
a later one took over (`AttemptSuperseded`) leaves the job alone: ARQ must not finish a job
that another worker now runs (`worker/leases.py` reads `SUPERSEDED_KEY`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq import Retry

from shared.events import AttemptSuperseded
from shared.resources import Resources
from shared.streamed_jobs.failures import TRANSIENT_ERRORS, RetryLater

RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
# ARQ tries beyond the attempts, for reporting exhaustion through a Redis or database outage.
REPORT_TRIES = 5
# The worker context's set of job ids whose attempt was superseded.
SUPERSEDED_KEY = "superseded_jobs"

Job = TypeVar("Job")
Attempt = Callable[[Resources, Job, int, bool], Awaitable[str | None]]
Exhausted = Callable[[Resources, Job], Awaitable[None]]


def arq_max_tries(job_max_tries: int) -> int:
    return job_max_tries + REPORT_TRIES


async def attempt_job(
    ctx: dict[str, Any], job: Job, attempt: Attempt[Job], exhausted: Exhausted[Job]
) -> str | None:
    resources: Resources = ctx["resources"]
    job_try: int = ctx["job_try"]
    max_tries = resources.settings.job_max_tries
    try:
        if job_try > max_tries:
            await exhausted(resources, job)
            return None
        return await attempt(resources, job, job_try, job_try == max_tries)
    except AttemptSuperseded:
        ctx[SUPERSEDED_KEY].add(ctx["job_id"])
        return None
    except (RetryLater, *TRANSIENT_ERRORS) as error:
        raise Retry(defer=retry_delay(job_try)) from error


def retry_delay(job_try: int) -> float:
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2.0 ** (job_try - 1))
