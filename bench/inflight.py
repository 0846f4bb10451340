"""`scripts/bench.py inflight`: how many chat jobs ONE worker process keeps in flight.

For each level, a fresh worker process runs with `WORKER_MAX_JOBS` = the level, and the queue
is kept at the level plus a backlog, so every slot is always taken. Every provider is the
emulator, which holds each answer open for about 10 s (`SlowAnswers`): a job costs the worker
little CPU while it waits, so slots and not the 2 cores are what is measured, and the expected
throughput is the level divided by the job's duration (Little's law). The figures of a level
come from its last `measure_seconds`: jobs in flight (ARQ's in-progress keys, sampled each
second), jobs finished per second, and the worker's CPU and RSS (psutil).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from bench.fleet import Fleet, FleetPlan, prepare_knowledge, running_fleet
from bench.report import machine, markdown_table, measured_run, publish
from bench.slots import (
    WORKER_START_TIMEOUT_SECONDS,
    Load,
    RunsPlot,
    SlowAnswers,
    answers_note,
    clear_queue,
    complete_failed,
    feed_and_sample,
    feeding_plan,
    fleet_meter,
    new_feeder,
    outcomes,
    plot_runs,
    start_workers,
    stop_workers,
    wait_for_workers,
    window,
    worker_env,
)
from shared.resources import Resources, open_resources

BACKLOG_SHARE = 0.2  # queued beyond the slots, so that a freed slot is taken at once
ACCEPTANCE_IN_FLIGHT = 1000


@dataclass(frozen=True)
class Plan:
    levels: tuple[int, ...]
    measure_seconds: float
    answers: SlowAnswers

    def load(self, level: int) -> Load:
        """The ramp over one job's length and one more until jobs end as steadily as they
        start, then the measured window."""
        job = self.answers.job_seconds
        return Load(level, int(level * BACKLOG_SHARE), job, 2 * job + self.measure_seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--levels", default="100,500,1000,1500", help="WORKER_MAX_JOBS values to run"
    )
    parser.add_argument("--measure-seconds", type=float, default=30.0)
    parser.add_argument("--ttft-ms", type=float, default=SlowAnswers.ttft_ms)


def run_from_args(args: argparse.Namespace) -> str:
    levels = tuple(int(level) for level in args.levels.split(","))
    plan = Plan(levels, args.measure_seconds, SlowAnswers(ttft_ms=args.ttft_ms))
    return markdown_table(HEADER, table_rows(run(plan)))


def db_pool_size(max_jobs: int) -> int:
    # Every running job reads and writes Postgres at its start and end, not while it waits.
    return min(50, max(10, max_jobs // 20))


def run(plan: Plan) -> dict[str, Any]:
    fleet_plan = FleetPlan(workers=0, apis=0, emulator=plan.answers.emulator())
    with measured_run() as run_info, running_fleet(fleet_plan) as fleet:
        levels = asyncio.run(_measure(fleet, plan))
    report = {
        "benchmark": "inflight",
        "machine": machine(),
        "run": run_info,
        "plan": {
            "levels": list(plan.levels),
            **feeding_plan(plan.answers, plan.measure_seconds, BACKLOG_SHARE),
        },
        "levels": levels,
        "acceptance": acceptance(levels),
    }
    publish("inflight", report, markdown(report))
    plot_runs(INFLIGHT_PLOT, levels)
    return report


async def _measure(fleet: Fleet, plan: Plan) -> list[dict[str, Any]]:
    async with open_resources(fleet.settings) as resources:
        await prepare_knowledge(resources)
        return [await _level(fleet, resources, plan, level) for level in plan.levels]


async def _level(fleet: Fleet, resources: Resources, plan: Plan, level: int) -> dict[str, Any]:
    env = worker_env(fleet, level, db_pool_size(level))
    workers = start_workers(env, 1)
    try:
        await wait_for_workers(resources, 1, WORKER_START_TIMEOUT_SECONDS)
        feeder = await new_feeder(resources)
        samples = await feed_and_sample(feeder, fleet_meter(fleet, workers), plan.load(level))
    finally:
        stop_workers(workers)
    await clear_queue(resources)
    measured = window(samples, plan.measure_seconds)
    return {
        "worker_max_jobs": level,
        "db_pool_size": db_pool_size(level),
        **measured,
        "ideal_jobs_per_second": round(level / plan.answers.job_seconds, 2),
        "rss_kb_per_job_in_flight": _per_job_kb(measured),
        "outcomes": await outcomes(resources, feeder.job_ids),
        "samples": [asdict(sample) for sample in samples],
    }


def _per_job_kb(measured: dict[str, Any]) -> float | None:
    in_flight = measured["in_flight_mean"]
    return round(measured["worker_rss_mb"] * 1024 / in_flight, 1) if in_flight else None


def acceptance(levels: list[dict[str, Any]]) -> dict[str, Any]:
    most = max((level["in_flight_mean"] for level in levels), default=0)
    return {
        "target_in_flight": ACCEPTANCE_IN_FLIGHT,
        "most_in_flight_mean": most,
        "met": most >= ACCEPTANCE_IN_FLIGHT,
    }


HEADER = [
    "WORKER_MAX_JOBS", "jobs in flight (mean / max)", "jobs/s", "ideal jobs/s",
    "worker CPU (cores)", "worker CPU ms per job", "worker RSS MB", "RSS KB per job in flight",
    "emulator CPU (cores)", "machine busy (cores)", "complete / failed", "job s (p50)",
]  # fmt: skip


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            level["worker_max_jobs"], f"{level['in_flight_mean']} / {level['in_flight_max']}",
            level["jobs_per_second"], level["ideal_jobs_per_second"], level["worker_cpu_cores"],
            level["worker_cpu_ms_per_job"], level["worker_rss_mb"],
            level["rss_kb_per_job_in_flight"], level["emulator_cpu_cores"],
            level["machine_busy_cores"],
            complete_failed(level["outcomes"]), level["outcomes"]["job_seconds"]["p50"],
        ]
        for level in report["levels"]
    ]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    meta, plan, verdict = report["machine"], report["plan"], report["acceptance"]
    return "\n".join(
        [
            "# Jobs in flight in one worker process",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs, Python {meta['python']}, "
            f"by `python scripts/bench.py inflight` in {report['run']['seconds']} s (raw "
            "samples in `inflight.json`, plot in `inflight.png`).",
            "",
            markdown_table(HEADER, table_rows(report)),
            "",
            f"**Acceptance** (≥ {verdict['target_in_flight']} jobs in flight in one worker): "
            f"{'met' if verdict['met'] else 'not met'}, at most "
            f"{verdict['most_in_flight_mean']} on average over a measured window.",
            "",
            "- One worker process per row, `WORKER_MAX_JOBS` = the row's level; the queue is "
            f"kept {int(plan['backlog_share'] * 100)} % above it, so every slot is taken. Jobs "
            "are queued straight into Redis (job record and ARQ enqueue, as the API does after "
            "admission): the API does not bound the run.",
            answers_note(plan, "the level"),
            f"- Figures over the last {plan['measure_seconds']:g} s of each level: *jobs in "
            "flight* are ARQ's in-progress keys, sampled each second; *jobs/s* the jobs that "
            "left the queue; the worker's CPU (user + system) and RSS, the emulator's CPU and "
            "the machine's busy time (every process, other users' included) come from psutil.",
            "- *complete / failed*: the job records of every job queued in the level when its "
            "worker was stopped (the others were still waiting or running).",
            "",
        ]
    )


INFLIGHT_PLOT = RunsPlot(
    name="inflight",
    run_label=lambda level: f"max_jobs {level['worker_max_jobs']}",
    timeline_label="jobs in flight (ARQ in-progress keys)",
    timeline_value=lambda sample: sample.in_progress,
    x_label="jobs in flight (mean)",
    x_key="in_flight_mean",
    ideal_label="level ÷ job duration",
)
