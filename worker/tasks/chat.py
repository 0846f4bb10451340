"""ARQ task for `chat.answer`: validate the payload and run the chat job's attempt."""

from __future__ import annotations

import functools
from typing import Any

from shared.chat.job import run_chat_job
from shared.jobs import ChatJob
from shared.streamed_jobs.attempt import fail_exhausted
from shared.streamed_jobs.tries import attempt_job


async def answer_chat(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    run = functools.partial(run_chat_job, ctx["providers"], ctx["gold_answers"])
    return await attempt_job(ctx, ChatJob.model_validate(payload), run, fail_exhausted)
