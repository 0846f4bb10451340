"""`scripts/bench.py scaling`: jobs/s with 1, 2 and 4 worker processes at a fixed
`WORKER_MAX_JOBS` per worker.

Every provider is the emulator, which holds each answer open for about 10 s, and the queue is
kept above the fleet's slots: with a small `max_jobs` the slots bound the run and the 2 cores
stay mostly idle, so the figure is how the queue shares work among workers (their pickup,
fairness and per-job overhead), not how fast the machine computes. The jobs/s of each fleet
are the jobs that left the queue during its last `measure_seconds`; the expected figure is the
fleet's slots divided by a job's duration.
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

TEN_SECOND_ANSWERS = SlowAnswers(ttft_ms=4000.0)
BACKLOG_SHARE = 0.5  # queued beyond the fleet's slots
DB_POOL_SIZE = 10
ACCEPTANCE_SPEEDUP = 3.5


@dataclass(frozen=True)
class Plan:
    fleets: tuple[int, ...]  # worker processes per run
    max_jobs: int
    measure_seconds: float
    answers: SlowAnswers

    def load(self, workers: int) -> Load:
        slots = workers * self.max_jobs
        job = self.answers.job_seconds
        return Load(slots, int(slots * BACKLOG_SHARE), job, 2 * job + self.measure_seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", default="1,2,4", help="worker processes of each run")
    parser.add_argument("--max-jobs", type=int, default=20, help="WORKER_MAX_JOBS per worker")
    parser.add_argument("--measure-seconds", type=float, default=40.0)


def run_from_args(args: argparse.Namespace) -> str:
    fleets = tuple(int(count) for count in args.workers.split(","))
    plan = Plan(fleets, args.max_jobs, args.measure_seconds, TEN_SECOND_ANSWERS)
    return markdown_table(HEADER, table_rows(run(plan)))


def run(plan: Plan) -> dict[str, Any]:
    fleet_plan = FleetPlan(workers=0, apis=0, emulator=plan.answers.emulator())
    with measured_run() as run_info, running_fleet(fleet_plan) as fleet:
        runs = asyncio.run(_measure(fleet, plan))
    report = {
        "benchmark": "scaling",
        "machine": machine(),
        "run": run_info,
        "plan": {
            "workers": list(plan.fleets),
            "worker_max_jobs": plan.max_jobs,
            **feeding_plan(plan.answers, plan.measure_seconds, BACKLOG_SHARE),
        },
        "runs": runs,
        "acceptance": acceptance(runs),
    }
    publish("scaling", report, markdown(report))
    plot_runs(SCALING_PLOT, runs)
    return report


async def _measure(fleet: Fleet, plan: Plan) -> list[dict[str, Any]]:
    async with open_resources(fleet.settings) as resources:
        await prepare_knowledge(resources)
        return [await _run_fleet(fleet, resources, plan, count) for count in plan.fleets]


async def _run_fleet(fleet: Fleet, resources: Resources, plan: Plan, count: int) -> dict[str, Any]:
    workers = start_workers(worker_env(fleet, plan.max_jobs, DB_POOL_SIZE), count)
    try:
        await wait_for_workers(resources, count, WORKER_START_TIMEOUT_SECONDS)
        feeder = await new_feeder(resources)
        samples = await feed_and_sample(feeder, fleet_meter(fleet, workers), plan.load(count))
    finally:
        stop_workers(workers)
    await clear_queue(resources)
    return {
        "workers": count,
        **window(samples, plan.measure_seconds),
        "ideal_jobs_per_second": round(count * plan.max_jobs / plan.answers.job_seconds, 2),
        "outcomes": await outcomes(resources, feeder.job_ids),
        "samples": [asdict(sample) for sample in samples],
    }


def acceptance(runs: list[dict[str, Any]]) -> dict[str, Any]:
    by_workers = {run["workers"]: run["jobs_per_second"] for run in runs}
    speedup = by_workers[4] / by_workers[1] if {1, 4} <= by_workers.keys() else None
    return {
        "target_speedup_1_to_4": ACCEPTANCE_SPEEDUP,
        "speedup_1_to_4": round(speedup, 2) if speedup else None,
        "met": speedup is not None and speedup >= ACCEPTANCE_SPEEDUP,
    }


HEADER = [
    "workers", "slots", "jobs in flight (mean)", "jobs/s", "ideal jobs/s",
    "speed-up over one worker", "workers' CPU (cores)", "CPU ms per job",
    "machine busy (cores)", "complete / failed", "job s (p50)",
]  # fmt: skip


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    one = next((run["jobs_per_second"] for run in report["runs"] if run["workers"] == 1), None)
    max_jobs = report["plan"]["worker_max_jobs"]
    return [
        [
            run["workers"], run["workers"] * max_jobs, run["in_flight_mean"],
            run["jobs_per_second"], run["ideal_jobs_per_second"],
            round(run["jobs_per_second"] / one, 2) if one else None, run["worker_cpu_cores"],
            run["worker_cpu_ms_per_job"], run["machine_busy_cores"],
            complete_failed(run["outcomes"]), run["outcomes"]["job_seconds"]["p50"],
        ]
        for run in report["runs"]
    ]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    meta, plan, verdict = report["machine"], report["plan"], report["acceptance"]
    return "\n".join(
        [
            "# Worker scaling: jobs/s with 1, 2 and 4 worker processes",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs, Python {meta['python']}, "
            f"by `python scripts/bench.py scaling` in {report['run']['seconds']} s (raw "
            "samples in `scaling.json`, plot in `scaling.png`).",
            "",
            markdown_table(HEADER, table_rows(report)),
            "",
            f"**Acceptance** (≥ {verdict['target_speedup_1_to_4']}x from 1 to 4 workers): "
            f"{'met' if verdict['met'] else 'not met'}, {verdict['speedup_1_to_4']}x.",
            "",
            f"- `WORKER_MAX_JOBS` = {plan['worker_max_jobs']} in every worker; the queue is kept "
            f"{int(plan['backlog_share'] * 100)} % above the fleet's slots. Jobs are queued "
            "straight into Redis (job record and ARQ enqueue, as the API does after admission).",
            answers_note(plan, "the slots"),
            f"- Figures over the last {plan['measure_seconds']:g} s of each run: *jobs/s* are "
            "the jobs that left the queue, *jobs in flight* ARQ's in-progress keys sampled each "
            "second, the workers' CPU (user + system, all of them) and the machine's busy time "
            "(every process, other users' included) from psutil.",
            "",
        ]
    )


SCALING_PLOT = RunsPlot(
    name="scaling",
    run_label=lambda run: f"{run['workers']} worker{'s' if run['workers'] > 1 else ''}",
    timeline_label="jobs finished",
    timeline_value=lambda sample: sample.finished,
    x_label="worker processes",
    x_key="workers",
    ideal_label="slots ÷ job duration",
)
