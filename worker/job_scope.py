"""Every task runs in the scope of the HTTP request that enqueued its job: the request id on
each of its log lines, and its span in the request's trace (`shared/jobs.py:JobPayload`)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from arq.typing import WorkerCoroutine

from shared.jobs import JobName, JobPayload
from shared.log import request_id_var
from shared.observability.tracing import span

log = logging.getLogger(__name__)


def in_job_scope(name: JobName, task: WorkerCoroutine) -> WorkerCoroutine:
    """`task`, which ARQ calls with the job's payload, run in the scope of its request."""

    @functools.wraps(task)
    async def run(ctx: dict[Any, Any], payload: dict[str, Any]) -> Any:
        origin = JobPayload.model_validate(payload)  # only the origin's fields
        job = {"job_id": ctx["job_id"], "job": name.value, "job_try": ctx["job_try"]}
        token = request_id_var.set(origin.request_id)
        try:
            attributes = {f"izana.{key}": value for key, value in job.items()}
            with span(f"job {name.value}", attributes, parent=origin.trace_context):
                log.info("job started", extra=job)
                return await task(ctx, payload)
        finally:
            request_id_var.reset(token)

    return run
