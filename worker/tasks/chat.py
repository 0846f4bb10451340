"""ARQ task for `chat.answer`: validate the payload and run the chat job's attempt."""

from __future__ import annotations

from typing import Any

from shared.chat_job import run_chat_job
from shared.jobs import ChatJob
from shared.streamed_jobs.attempt import fail_exhausted
from shared.streamed_jobs.tries import attempt_job


async def answer_chat(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    return await attempt_job(ctx, ChatJob.model_validate(payload), run_chat_job, fail_exhausted)
