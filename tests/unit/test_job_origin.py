"""What a job carries from the request that enqueued it, and the scope the worker runs it in."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.jobs import ChatJob, JobName
from shared.log import request_id_var
from shared.observability.tracing import span, trace_context
from worker.job_scope import in_job_scope

pytestmark = pytest.mark.unit

OLD_PAYLOAD = {
    "job_id": "a" * 32, "session_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()),
    "enqueued_at_ms": 1, "message": "What is AMH?",
}  # fmt: skip


def test_a_payload_enqueued_before_the_origin_fields_stays_valid() -> None:
    job = ChatJob.model_validate(OLD_PAYLOAD)
    assert job.request_id is None and job.trace_context == {}


def test_without_an_endpoint_nothing_is_traced() -> None:
    with span("anything"):
        assert trace_context() == {}


async def test_a_task_runs_with_the_request_id_of_its_job() -> None:
    seen: list[str | None] = []

    async def task(ctx: dict[Any, Any], payload: dict[str, Any]) -> None:
        seen.append(request_id_var.get())

    scoped = in_job_scope(JobName.CHAT_ANSWER, task)
    await scoped({"job_id": "a" * 32, "job_try": 1}, {**OLD_PAYLOAD, "request_id": "req-1"})
    await scoped({"job_id": "a" * 32, "job_try": 1}, OLD_PAYLOAD)
    assert seen == ["req-1", None]
    assert request_id_var.get() is None
