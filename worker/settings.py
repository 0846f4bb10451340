"""ARQ worker settings, sized for I/O-bound jobs, and the worker's startup/shutdown."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from typing import Any

from arq import cron
from arq.cron import CronJob
from arq.worker import Function, func

from shared.bloodwork.extraction import Reading
from shared.bloodwork.llm_extraction import lab_extractor
from shared.chat.gold_match import GoldAnswers
from shared.config import Settings
from shared.jobs import JobName
from shared.observability.metrics import SCRAPED
from shared.observability.tracing import configure_tracing
from shared.rag.assembly import build_providers
from shared.resources import arq_redis_settings, open_resources, required_urls
from shared.streamed_jobs.queue import queue_metrics
from shared.streamed_jobs.tries import arq_max_tries
from shared.streamed_jobs.workers import announce_providers
from worker.job_scope import in_job_scope
from worker.runner import IzanaWorker
from worker.tasks.bloodwork import analyse_bloodwork, extract_bloodwork
from worker.tasks.chat import answer_chat
from worker.tasks.knowledge import ingest_knowledge
from worker.tasks.sessions import erase_expired

log = logging.getLogger(__name__)

# ARQ keeps a job's result (a pickle of its payload, a user's question with it, and of what it
# returned) for `keep_result`; only ingestion's is read (`GET /v1/admin/kb/jobs/{id}`). The other
# jobs report through their own record and stream, so ARQ keeps nothing of them.
RESULT_READ = frozenset({JobName.KB_INGEST})
# ARQ's own timeout is a backstop: the job's deadline is enforced inside the task first.
ARQ_TIMEOUT_MARGIN_SECONDS = 10

TASKS = {
    JobName.CHAT_ANSWER: answer_chat,
    JobName.KB_INGEST: ingest_knowledge,
    JobName.BLOODWORK_EXTRACT: extract_bloodwork,
    JobName.BLOODWORK_ANALYSIS: analyse_bloodwork,
}


async def startup(ctx: dict[str, Any]) -> None:
    async with contextlib.AsyncExitStack() as stack:  # closed again if a step fails
        resources = await stack.enter_async_context(open_resources(ctx["settings"]))
        ctx["resources"] = resources
        providers = build_providers(resources)
        ctx["providers"] = providers
        ctx["gold_answers"] = GoldAnswers()  # this worker's index of them, shared by its jobs
        ctx["lab_reading"] = Reading(
            extractor=lab_extractor(resources.settings, resources.redis),
            timeout_seconds=resources.settings.bloodwork_read_timeout_seconds,
            keep_pdf=resources.settings.bloodwork_keep_pdf,
        )
        # Local models and the lexical index load now, not while the first question waits.
        await providers.store.warm()
        roles = providers.describe()
        await announce_providers(resources.redis, roles)
        SCRAPED.add("queue", functools.partial(queue_metrics, resources.redis))
        if providers.guard is not None:
            SCRAPED.add("breakers", providers.guard.breaker_metrics)
        log.info("providers ready", extra={"providers": roles})
        ctx["exit_stack"] = stack.pop_all()
    # The models and the index live as long as the process: kept out of every full garbage
    # collection, whose pauses (100-160 ms with them) would stall every answer in flight.
    gc.freeze()


async def shutdown(ctx: dict[str, Any]) -> None:
    stack: contextlib.AsyncExitStack | None = ctx.get("exit_stack")
    if stack is not None:
        await stack.aclose()


def functions(settings: Settings) -> list[Function]:
    # The tasks run through `attempt_job` get tries beyond their attempts, so the task itself
    # reports exhausted attempts.
    reporting_tries = arq_max_tries(settings.job_max_tries)
    streamed = settings.job_deadline_seconds + ARQ_TIMEOUT_MARGIN_SECONDS
    tries_and_timeouts = {
        JobName.CHAT_ANSWER: (reporting_tries, streamed),
        JobName.KB_INGEST: (settings.job_max_tries, settings.ingest_timeout_seconds),
        JobName.BLOODWORK_EXTRACT: (
            reporting_tries,
            settings.bloodwork_read_timeout_seconds + ARQ_TIMEOUT_MARGIN_SECONDS,
        ),
        JobName.BLOODWORK_ANALYSIS: (reporting_tries, streamed),
    }
    return [
        func(
            in_job_scope(name, TASKS[name]),
            name=name.value,
            max_tries=tries,
            timeout=timeout,
            keep_result=None if name in RESULT_READ else 0,
        )
        for name, (tries, timeout) in tries_and_timeouts.items()
    ]


def cron_jobs() -> list[CronJob]:
    # Every worker schedules it; ARQ's unique job id per run time lets one of them run it.
    return [cron(erase_expired, name="sessions.erase_expired", minute=set(range(0, 60, 10)))]


def worker_options(settings: Settings) -> dict[str, Any]:
    redis_url, _ = required_urls(settings)
    return {
        "functions": functions(settings),
        "cron_jobs": cron_jobs(),
        "redis_settings": arq_redis_settings(redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": {"settings": settings},
        "max_jobs": settings.worker_max_jobs,
        "poll_delay": settings.worker_poll_delay_seconds,
        "allow_abort_jobs": True,
        "job_completion_wait": settings.worker_shutdown_grace_seconds,
        "keep_result": 3600,
    }


def create_worker(settings: Settings) -> IzanaWorker:
    configure_tracing("izana-worker", settings.otel_exporter_otlp_endpoint)
    return IzanaWorker(
        **worker_options(settings),
        lease_seconds=settings.job_lease_seconds,
        wake_on_enqueue=settings.worker_wake_on_enqueue,
        http_port=settings.worker_metrics_port,
    )
