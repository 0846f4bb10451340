"""ARQ task for `chat.answer`: validate the payload, run the shared chat job, map retries."""

from __future__ import annotations

from typing import Any

from shared.chat_job import fail_exhausted, run_chat_job
from shared.jobs import ChatJob
from worker.tasks.retries import attempt_job


async def answer_chat(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    return await attempt_job(ctx, ChatJob.model_validate(payload), run_chat_job, fail_exhausted)
