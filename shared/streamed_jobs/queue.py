"""The one way to enqueue a job: ARQ's queue entry, our own id, a wake-up for idle workers and,
for a streamed job, its record and queued event, in one round trip; and cancelling a job."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss, default_queue_name, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from prometheus_client.core import GaugeMetricFamily, Metric
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from shared.events import APPEND_EVENTS_LUA, ErrorData, Stage, stream_key
from shared.jobs import (
    ACTIVE_STATUSES,
    JOB_PAYLOADS,
    JobName,
    JobPayload,
    JobRecord,
    JobStatus,
    JobStore,
    job_key,
    now_ms,
)
from shared.log import request_id_var
from shared.observability.metrics import JOB_OUTCOMES
from shared.observability.tracing import span, trace_context

WAKE_KEY_MAX_LEN = 1000


def wake_key(queue_name: str) -> str:
    """The queue's wake-up list: enqueue appends each job's id, and an idle worker of that queue
    blocks on it (BLPOP: oldest first) and claims that job at once. Only the newest ids are
    kept; the queue scan finds the others."""
    return f"izana:worker:wake:{queue_name}"


# Enqueues an ARQ job as ARQ's own enqueue_job does (payload with its expiry, then the queue
# entry; nothing if the id is queued or has a result), and appends its id to the wake-up list.
# With two more keys it first admits a streamed job: its record, and its queued event with its
# position.
# KEYS: ARQ job, ARQ result, ARQ queue, wake-up list[, job record, event stream].
# ARGV: payload, expiry ms, score, job id, wake-up list length[, record TTL s, stream length,
# the queued event's stage, record field/value pairs...].
# Returns the job's position in the queue, or false when the id was taken.
_ENQUEUE = (
    APPEND_EVENTS_LUA
    + """
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return false end
local position = redis.call('ZCARD', KEYS[3]) + 1
if #KEYS == 6 then
  redis.call('HSET', KEYS[5], unpack(ARGV, 9))
  redis.call('EXPIRE', KEYS[5], ARGV[6])
  local queued = cjson.encode({stage = ARGV[8], position = position})
  append_events(KEYS[6], ARGV[7], {'status', queued})
end
redis.call('PSETEX', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('LTRIM', KEYS[4], -tonumber(ARGV[5]), -1)
return position
"""
)


@dataclass(frozen=True)
class Admission:
    """A streamed job's record and queued event, written with its enqueueing."""

    record: JobRecord
    record_ttl_seconds: int
    events_max_len: int


async def enqueue(
    arq: ArqRedis,
    name: JobName,
    payload: JobPayload,
    job_id: str,
    admission: Admission | None = None,
) -> int:
    """Put a job on the ARQ queue under our own id and wake one idle worker, in one round trip;
    with `admission`, record the job and announce its place first. Its place in the queue."""
    expected = JOB_PAYLOADS[name]
    if not isinstance(payload, expected):
        raise TypeError(f"{name} takes {expected.__name__}, not {type(payload).__name__}")
    with span(f"enqueue {name.value}", {"izana.job_id": job_id}):
        return await _enqueue(arq, name, _with_origin(payload), job_id, admission)


def _with_origin(payload: JobPayload) -> dict[str, Any]:
    """The payload as queued: with the request id and the trace context of the caller, unless
    it names its own."""
    queued = payload.model_dump(mode="json")
    queued["request_id"] = payload.request_id or request_id_var.get()
    queued["trace_context"] = payload.trace_context or trace_context()
    return queued


async def _enqueue(
    arq: ArqRedis, name: JobName, payload: dict[str, Any], job_id: str, admission: Admission | None
) -> int:
    enqueued_at = now_ms()
    serialized = serialize_job(
        name.value, (payload,), {}, None, enqueued_at, serializer=arq.job_serializer
    )
    queue = arq.default_queue_name
    keys = [job_key_prefix + job_id, result_key_prefix + job_id, queue, wake_key(queue)]
    args: list[Any] = [serialized, arq.expires_extra_ms, enqueued_at, job_id, WAKE_KEY_MAX_LEN]
    if admission is not None:
        keys += [job_key(job_id), stream_key(job_id)]
        pairs = [item for pair in admission.record.to_hash().items() for item in pair]
        args += [admission.record_ttl_seconds, admission.events_max_len, Stage.QUEUED.value, *pairs]
    position = await _enqueue_script(arq)(keys=keys, args=args)
    if position is None:
        raise RuntimeError(f"job id {job_id} is already queued")
    return int(position)


@functools.lru_cache(maxsize=8)
def _enqueue_script(arq: ArqRedis) -> AsyncScript:
    """The enqueue script, registered once per pool rather than per job."""
    return arq.register_script(_ENQUEUE)


async def queue_metrics(redis: Redis) -> list[Metric]:
    """The queue's depth (queued and running jobs: ARQ keeps a job in its queue until it ends)
    and the age of its oldest entry, read from Redis when Prometheus scrapes, so every process
    reports the same numbers."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcard(default_queue_name)
        pipe.zrange(default_queue_name, 0, 0, withscores=True)
        depth, oldest = await pipe.execute()
    enqueued_ms = oldest[0][1] if oldest else None
    age = max(0.0, (now_ms() - enqueued_ms) / 1000) if enqueued_ms is not None else 0.0
    return [
        GaugeMetricFamily("izana_queue_depth", "Jobs in the ARQ queue, running ones included.",
                          value=depth),
        GaugeMetricFamily("izana_queue_oldest_age_seconds",
                          "Age of the oldest job in the ARQ queue (0 when empty).", value=age),
    ]  # fmt: skip


CANCELLED = ErrorData(code="cancelled", message="The request was cancelled.", retryable=False)


async def cancel(jobs: JobStore, arq: ArqRedis, job_id: str) -> bool:
    """End a queued or running job `cancelled` and have ARQ abort it; False when it had ended."""
    cancelled = await jobs.transition(
        job_id, JobStatus.CANCELLED, ACTIVE_STATUSES, finished_at_ms=now_ms(),
        error_code=CANCELLED.code, error_message=CANCELLED.message,
    )  # fmt: skip
    if cancelled:
        JOB_OUTCOMES.labels(job="", outcome="cancelled", code=CANCELLED.code).inc()
        await arq.zadd(abort_jobs_ss, {job_id: now_ms()})
    return cancelled
