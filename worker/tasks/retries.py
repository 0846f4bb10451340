"""The attempt policy of the streamed jobs (chat answers, blood-work analyses): ARQ runs one
attempt more than allowed so the job itself reports exhausted retries, and a `RetryLater`
becomes ARQ's deferred retry with exponential backoff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq import Retry

from shared.chat_job import RetryLater
from shared.resources import Resources

RETRY_BASE_SECONDS = 0.5

Job = TypeVar("Job")
Attempt = Callable[[Resources, Job, int, bool], Awaitable[str | None]]
Exhausted = Callable[[Resources, Job], Awaitable[None]]


async def attempt_job(
    ctx: dict[str, Any], job: Job, attempt: Attempt[Job], exhausted: Exhausted[Job]
) -> str | None:
    resources: Resources = ctx["resources"]
    job_try: int = ctx["job_try"]
    max_tries = resources.settings.job_max_tries
    if job_try > max_tries:
        await exhausted(resources, job)
        return None
    try:
        return await attempt(resources, job, job_try, job_try == max_tries)
    except RetryLater as error:
        raise Retry(defer=RETRY_BASE_SECONDS * 2 ** (job_try - 1)) from error
