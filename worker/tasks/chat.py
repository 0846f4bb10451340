"""ARQ task for `chat.answer`: validate the payload, run the shared chat job, map retries."""

from __future__ import annotations

from typing import Any

from arq import Retry

from shared.chat_job import RetryLater, fail_exhausted, run_chat_job
from shared.jobs import ChatJob
from shared.resources import Resources

RETRY_BASE_SECONDS = 0.5


async def answer_chat(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    resources: Resources = ctx["resources"]
    job = ChatJob.model_validate(payload)
    job_try: int = ctx["job_try"]
    max_tries = resources.settings.job_max_tries
    if job_try > max_tries:
        await fail_exhausted(resources, job)
        return None
    try:
        return await run_chat_job(resources, job, job_try, last_try=job_try == max_tries)
    except RetryLater as error:
        raise Retry(defer=RETRY_BASE_SECONDS * 2 ** (job_try - 1)) from error
