"""How a job's attempts map onto ARQ's tries.

ARQ counts a try each time a worker starts the job, including after a worker died or its
lease lapsed. A job is given `JOB_MAX_TRIES` attempts; ARQ allows a few tries more, so that
the job itself reports exhausted attempts (an `error` event, a failed report) even when that
report has to wait for Redis. A `RetryLater`, or a connection error that kept the attempt from
recording its outcome, becomes ARQ's deferred retry with exponential backoff. When Redis or
Postgres was out of reach, the try is given back: an outage bounded by the job's deadline
does not use up its attempts. An attempt that
a later one took over (`AttemptSuperseded`) leaves the job alone: ARQ must not finish a job
that another worker now runs (`worker/leases.py` reads `SUPERSEDED_KEY`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq import Retry
from arq.connections import ArqRedis
from arq.constants import retry_key_prefix

from shared.events import AttemptSuperseded
from shared.observability.metrics import LEASE_TAKEOVERS
from shared.resources import Resources
from shared.streamed_jobs.failures import REDIS_OUTAGES, RetryLater, is_outage, is_transient

RETRY_BASE_SECONDS = 0.5
OUTAGE_RETRY_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
# ARQ tries beyond the attempts, for reporting exhaustion through a Redis or database outage.
REPORT_TRIES = 5
# The worker context's set of job ids whose attempt was superseded.
SUPERSEDED_KEY = "superseded_jobs"

Job = TypeVar("Job")
# An attempt of the job, told whether it is the last one allowed.
Attempt = Callable[[Resources, Job, bool], Awaitable[str | None]]
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
        return await attempt(resources, job, job_try == max_tries)
    except AttemptSuperseded:
        LEASE_TAKEOVERS.inc()
        ctx[SUPERSEDED_KEY].add(ctx["job_id"])
        return None
    except RetryLater as error:
        raise await _retry(ctx, error.__cause__, job_try) from error
    except Exception as error:
        if not is_transient(error):
            raise
        raise await _retry(ctx, error, job_try) from error


async def _retry(ctx: dict[str, Any], cause: BaseException | None, job_try: int) -> Retry:
    """ARQ's deferred retry; after an outage, with the try given back."""
    if cause is not None and is_outage(cause):
        await _give_try_back(ctx)
        return Retry(defer=OUTAGE_RETRY_SECONDS)
    return Retry(defer=retry_delay(job_try))


def retry_delay(job_try: int) -> float:
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2.0 ** (job_try - 1))


async def _give_try_back(ctx: dict[str, Any]) -> None:
    pool: ArqRedis = ctx["redis"]
    with contextlib.suppress(*REDIS_OUTAGES):  # Redis itself is down: the try counts
        await pool.decr(retry_key_prefix + ctx["job_id"])
