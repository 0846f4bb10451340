"""Worker slots kept full, for the capacity benchmarks (`inflight`, `scaling`).

The emulator answers slowly (a late first token, then a short answer), so a job holds a worker
slot for seconds while costing little CPU: what bounds the run is then how many jobs the
workers keep in flight, not the machine's cores. Jobs are queued straight into Redis (job record
plus ARQ enqueue, as the API does after admission), so the API cannot bound the run; a feeder
keeps the queue (waiting plus running jobs) at a fixed depth, and a sampler reads once a second
the jobs ARQ has in progress, the jobs finished so far and the workers' CPU time and RSS.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import psutil
from arq.constants import default_queue_name, in_progress_key_prefix

from bench.fleet import Fleet, provider_env
from bench.overhead import QUESTIONS
from bench.report import BENCHMARKS_DIR
from bench.stats import summary
from emulator import EmulatorConfig
from izana.processes import service_env, start_izana, stop_all
from shared.jobs import ChatJob, JobName, JobStatus, new_job_id, now_ms
from shared.resources import Resources
from shared.sessions.service import create_session
from shared.streamed_jobs.queue import enqueue
from shared.streamed_jobs.workers import live_workers

ENQUEUE_CONCURRENCY = 50
HEARTBEAT_FRESH_SECONDS = 5.0
WORKER_START_TIMEOUT_SECONDS = 180.0
SAMPLE_SECONDS = 1.0


@dataclass(frozen=True)
class SlowAnswers:
    """The emulator's pace: every chat call waits `ttft_ms` for its first token; the streamed
    draft then sends `tokens` tokens at `tokens_per_second`, the review answers at once."""

    ttft_ms: float = 20_000.0
    tokens: int = 20
    tokens_per_second: float = 10.0

    def emulator(self) -> EmulatorConfig:
        return EmulatorConfig(
            ttft_ms=self.ttft_ms,
            completion_tokens=self.tokens,
            tokens_per_second=self.tokens_per_second,
        )

    @property
    def job_seconds(self) -> float:
        """A job's least duration: the draft's first token and stream, then the review."""
        return 2 * self.ttft_ms / 1000 + (self.tokens - 1) / self.tokens_per_second


def feeding_plan(
    answers: SlowAnswers, measure_seconds: float, backlog_share: float
) -> dict[str, Any]:
    """The plan fields every benchmark that feeds slow answers straight into Redis reports."""
    return {
        "measure_seconds": measure_seconds,
        "answers": asdict(answers),
        "job_seconds_at_least": answers.job_seconds,
        "backlog_share": backlog_share,
        "submission": "straight into Redis (job record + ARQ enqueue), not through the API",
    }


def worker_env(fleet: Fleet, max_jobs: int, db_pool_size: int) -> dict[str, str]:
    """Settings of a worker process of the capacity benchmarks."""
    return service_env(
        fleet.urls,
        **provider_env(fleet.emulator.url),
        WORKER_MAX_JOBS=str(max_jobs),
        DB_POOL_SIZE=str(db_pool_size),
        DB_MAX_OVERFLOW=str(db_pool_size),  # as many more at peaks, as the recorded runs had
        PROVIDER_MAX_CONNECTIONS=str(max(1000, 2 * max_jobs)),
        RESPONSE_CACHE_TTL_SECONDS="0",  # every job must run the pipeline
        WORKER_SHUTDOWN_GRACE_SECONDS="0",  # stopped, it hands its jobs back at once
    )


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    return [start_izana(["worker"], env) for _ in range(count)]


async def wait_for_workers(resources: Resources, count: int, timeout_seconds: float) -> None:
    """Until `count` workers beat with their models loaded (they take jobs from then on)."""
    deadline = time.monotonic() + timeout_seconds
    while await live_workers(resources.redis, HEARTBEAT_FRESH_SECONDS) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not get ready in {timeout_seconds:g} s")
        await asyncio.sleep(0.5)


def stop_workers(workers: Sequence[subprocess.Popen[bytes]]) -> None:
    stop_all(workers, 60)


@dataclass
class Feeder:
    """Queues chat jobs: distinct questions (no cache could answer them), one session."""

    resources: Resources
    session_id: uuid.UUID
    job_ids: list[str] = field(default_factory=list)

    async def top_up(self, depth: int) -> None:
        """Queue jobs until `depth` jobs wait or run."""
        missing = depth - await queue_depth(self.resources)
        limit = asyncio.Semaphore(ENQUEUE_CONCURRENCY)

        async def one() -> None:
            async with limit:
                await self._enqueue_one()

        await asyncio.gather(*(one() for _ in range(missing)))

    async def _enqueue_one(self) -> None:
        number = len(self.job_ids)
        self.job_ids.append(job_id := new_job_id())
        job = ChatJob(
            job_id=job_id, session_id=self.session_id, conversation_id=uuid.uuid4(),
            message=f"{QUESTIONS[number % len(QUESTIONS)]} (question {number + 1})",
            enqueued_at_ms=now_ms(),
        )  # fmt: skip
        await self.resources.jobs.create(job.queued_record())
        await enqueue(self.resources.arq, JobName.CHAT_ANSWER, job, job_id)


async def new_feeder(resources: Resources) -> Feeder:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    return Feeder(resources, issued.session.id)


async def queue_depth(resources: Resources) -> int:
    """Jobs waiting or running: ARQ keeps a job in its queue until the job has finished."""
    depth: int = await resources.arq.zcard(default_queue_name)
    return depth


async def in_progress(resources: Resources) -> int:
    """Jobs a worker has taken and not finished (ARQ's in-progress keys)."""
    count = 0
    async for _ in resources.arq.scan_iter(match=f"{in_progress_key_prefix}*", count=1000):
        count += 1
    return count


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the load started
    in_progress: int
    finished: int  # jobs queued so far that left the queue
    cpu_seconds: float  # of all the workers
    rss_bytes: int  # of all the workers
    emulator_cpu_seconds: float
    machine_busy_seconds: float  # every core's time not idle, whoever used it


class Meter:
    """CPU time and RSS of the worker processes, the emulator's CPU time and the machine's."""

    def __init__(self, workers: Sequence[subprocess.Popen[bytes]], emulator_pid: int) -> None:
        self._processes = [psutil.Process(worker.pid) for worker in workers]
        self._emulator = psutil.Process(emulator_pid)

    def sample(self, at: float, in_progress: int, finished: int) -> Sample:
        machine = psutil.cpu_times()
        return Sample(
            at=round(at, 2),
            in_progress=in_progress,
            finished=finished,
            cpu_seconds=sum(_cpu_seconds(p) for p in self._processes),
            rss_bytes=sum(int(p.memory_info().rss) for p in self._processes),
            emulator_cpu_seconds=_cpu_seconds(self._emulator),
            machine_busy_seconds=sum(machine) - machine.idle - machine.iowait,
        )


def fleet_meter(fleet: Fleet, workers: Sequence[subprocess.Popen[bytes]]) -> Meter:
    """A meter of these workers and the fleet's emulator (its first process)."""
    return Meter(workers, fleet.processes[0].pid)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


@dataclass(frozen=True)
class Load:
    """For `seconds`: the workers' `slots` filled evenly over one job's length (`ramp_seconds`),
    then `backlog` more jobs waiting. Jobs then start, and end, evenly over time: filled
    faster, they would end in waves that a measured window would catch at their peak."""

    slots: int
    backlog: int
    ramp_seconds: float
    seconds: float

    def depth_at(self, elapsed: float) -> int:
        if elapsed >= self.ramp_seconds:
            return self.slots + self.backlog
        return math.ceil(self.slots * elapsed / self.ramp_seconds)


async def feed_and_sample(feeder: Feeder, meter: Meter, load: Load) -> list[Sample]:
    """Keep the queue topped up for `load.seconds`, sampling once a second."""
    samples: list[Sample] = []
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < load.seconds:
        await feeder.top_up(load.depth_at(elapsed + SAMPLE_SECONDS))
        depth, running = await asyncio.gather(
            queue_depth(feeder.resources), in_progress(feeder.resources)
        )
        finished = len(feeder.job_ids) - depth
        samples.append(meter.sample(elapsed, running, finished))
        await asyncio.sleep(max(0.0, SAMPLE_SECONDS - (time.monotonic() - started - elapsed)))
    return samples


async def clear_queue(resources: Resources) -> None:
    """Forget the jobs still queued, once the workers are gone, so the next run starts empty."""
    await resources.arq.delete(default_queue_name)


async def outcomes(resources: Resources, job_ids: Sequence[str]) -> dict[str, Any]:
    """How many of the jobs ended in each status ("missing": no record), and how long the
    completed ones ran (from their records: started to finished)."""
    counts: Counter[str] = Counter()
    seconds: list[float] = []
    for start in range(0, len(job_ids), 500):
        batch = job_ids[start : start + 500]
        for record in await asyncio.gather(*(resources.jobs.get(job_id) for job_id in batch)):
            counts["missing" if record is None else str(record.status)] += 1
            if record and record.status is JobStatus.COMPLETE and record.started_at_ms:
                seconds.append(((record.finished_at_ms or 0) - record.started_at_ms) / 1000)
    return {"statuses": dict(counts), "job_seconds": summary(seconds) if seconds else None}


def complete_failed(outcomes: dict[str, Any]) -> str:
    statuses = outcomes["statuses"]
    return f"{statuses.get(str(JobStatus.COMPLETE), 0)} / {statuses.get(str(JobStatus.FAILED), 0)}"


def window(samples: Sequence[Sample], measure_seconds: float) -> dict[str, Any]:
    """Throughput, jobs in flight and the workers' CPU and RSS over the last `measure_seconds`
    of the samples."""
    last = samples[-1]
    first = next(s for s in samples if s.at >= last.at - measure_seconds)
    span = last.at - first.at
    inside = [s for s in samples if s.at >= first.at]
    mean_in_flight = sum(s.in_progress for s in inside) / len(inside)
    finished = last.finished - first.finished
    cpu = last.cpu_seconds - first.cpu_seconds
    emulator = last.emulator_cpu_seconds - first.emulator_cpu_seconds
    busy = last.machine_busy_seconds - first.machine_busy_seconds
    return {
        "seconds": round(span, 1),
        "jobs_finished": finished,
        "jobs_per_second": round(finished / span, 2),
        "in_flight_mean": round(mean_in_flight, 1),
        "in_flight_max": max(s.in_progress for s in inside),
        "worker_cpu_cores": round(cpu / span, 3),
        "worker_cpu_ms_per_job": round(1000 * cpu / finished, 2) if finished else None,
        "worker_rss_mb": round(last.rss_bytes / 2**20, 1),
        "emulator_cpu_cores": round(emulator / span, 3),
        "machine_busy_cores": round(busy / span, 2),
    }


def answers_note(plan: dict[str, Any], ideal_of: str) -> str:
    """The report's line on how long the emulator holds each answer."""
    answers = plan["answers"]
    return (
        f"- Every provider is the emulator: each chat call waits {answers['ttft_ms']:g} ms "
        f"for its first token and the draft streams {answers['tokens']} tokens at "
        f"{answers['tokens_per_second']:g}/s, so a job lasts at least "
        f"{plan['job_seconds_at_least']:g} s; *ideal jobs/s* is {ideal_of} divided by it."
    )


@dataclass(frozen=True)
class RunsPlot:
    """A timeline per run (left) and jobs/s against `x_key` with the ideal (right)."""

    name: str
    run_label: Callable[[dict[str, Any]], str]
    timeline_label: str
    timeline_value: Callable[[Sample], float]
    x_label: str
    x_key: str
    ideal_label: str


def plot_runs(plot: RunsPlot, runs: Sequence[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (timeline, throughput) = plt.subplots(1, 2, figsize=(12, 4.5))
    for run in runs:
        samples = [Sample(**sample) for sample in run["samples"]]
        values = [plot.timeline_value(sample) for sample in samples]
        timeline.plot([sample.at for sample in samples], values, label=plot.run_label(run))
    timeline.set_xlabel("seconds since the run started")
    timeline.set_ylabel(plot.timeline_label)
    xs = [run[plot.x_key] for run in runs]
    throughput.plot(xs, [run["jobs_per_second"] for run in runs], "o-", label="measured")
    throughput.plot(xs, [run["ideal_jobs_per_second"] for run in runs], "--",
                    label=plot.ideal_label)  # fmt: skip
    throughput.set_xlabel(plot.x_label)
    throughput.set_ylabel("jobs per second")
    for axes in (timeline, throughput):
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / f"{plot.name}.png", dpi=120)
