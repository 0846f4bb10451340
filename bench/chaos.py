"""`scripts/bench.py chaos`: what a crash or a restart does to answers in flight.

Four scenarios, each on a fleet of its own (fresh embedded Redis and Postgres, the provider
emulator as every provider, so the work is I/O-bound and paced by the emulator's tokens), with
real processes and real signals:

- (a) `worker_kill`: 2 workers; one is paused (SIGSTOP) while 50 answers start on the other,
  so that one holds all 50; once each has streamed a token, the paused one is resumed and the
  busy one SIGKILLed. Another worker must take the 50 over.
- (b) `redis_restart`: closed-loop load through 2 APIs and 2 workers; the fleet's redis-server
  (append-only file on) is SIGKILLed, and started again on the same socket and directory 5 s
  later. Nothing else is restarted.
- (c) `api_kill`: 200 clients follow live answers through one of two API processes, which is
  SIGKILLed; each client resumes on the other with `Last-Event-ID`.
- (d) `postgres_restart`: as (b), with the embedded Postgres stopped by its `pg_ctl` (fast
  shutdown) and started again 5 s later. Admission may refuse with 503 meanwhile; clients
  retry after `Retry-After`, and a refused question is not *accepted*.

Per scenario: jobs accepted (a `202`), jobs lost (accepted, and no `done` in the client's
stream nor in the job's event stream in Redis at the end), answers persisted twice (assistant
messages per `job_id` in Postgres), streams with a missing or duplicated token (ids not
strictly increasing across reconnections, or the tokens after the last `reset` not equal to
`done.answer`), and recovery times from the fault.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import col, select

from bench import chaos_faults as faults
from bench.chaos_client import Client, Trace, http_client, stream_intact
from bench.faults import questions
from bench.fleet import (
    BENCH_KEY,
    Fleet,
    FleetPlan,
    new_session,
    prepare_knowledge,
    running_fleet,
)
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from bench.stats import percentile
from emulator import EmulatorConfig
from izana.processes import stop_all
from shared.config import Settings
from shared.db.models import Message, Role
from shared.events import EventType, read_after
from shared.resources import Resources, open_resources

EMBEDDING_DIMENSIONS = 256
FLEET_ENV = {
    "EMBEDDING_DIMENSIONS": str(EMBEDDING_DIMENSIONS),
    "RESPONSE_CACHE_TTL_SECONDS": "0",  # every question reaches a worker
    "WORKER_MAX_JOBS": "150",  # (c) needs 200 answers live at once on 2 workers
    # The clients share one session; (c) follows 200 of its streams at once.
    "SSE_MAX_STREAMS_PER_SESSION": "1000",
}
IN_FLIGHT_BOUND_SECONDS = 90.0  # to get every answer of (a) or (c) streaming before the fault
OUTAGE_SECONDS = 5.0  # (b), (d): how long Redis or Postgres stays down
LOAD_LANES = 20  # (b), (d): clients asking one question after another
LOAD_BEFORE_FAULT_SECONDS = 10.0
LOAD_SECONDS = 30.0  # (b), (d): new questions are asked for this long
# For the answers to end: after the fault in (a) and (c), after the last question in (b), (d).
DRAIN_SECONDS = 90.0
EVENTS_READ_LIMIT = 100_000
RECOVERY_TARGET_SECONDS = 15.0


@dataclass(frozen=True)
class Scenario:
    key: str
    name: str
    what: str
    workers: int
    apis: int
    emulator: EmulatorConfig
    jobs: int  # (a), (c): questions asked at once; (b), (d): 0 (closed-loop lanes)
    acceptance: str
    env: dict[str, str] = field(default_factory=dict)  # this fleet's settings beyond FLEET_ENV


SCENARIOS = (
    Scenario(
        "a", "worker_kill", "SIGKILL a worker with 50 answers in flight (2 workers)", 2, 1,
        EmulatorConfig(completion_tokens=60, tokens_per_second=3, ttft_ms=300,
                       embedding_dimensions=EMBEDDING_DIMENSIONS),
        50, "50 of 50 complete, 0 persisted twice, recovery p95 ≤ 15 s",
    ),
    Scenario(
        "b", "redis_restart", "SIGKILL Redis (AOF) under load, start it again 5 s later", 2, 2,
        EmulatorConfig(completion_tokens=20, tokens_per_second=4, ttft_ms=300,
                       embedding_dimensions=EMBEDDING_DIMENSIONS),
        0, "0 accepted jobs lost, no process restarted by hand",
    ),
    Scenario(
        "c", "api_kill", "SIGKILL one of two APIs holding 200 live streams", 2, 2,
        EmulatorConfig(completion_tokens=100, tokens_per_second=1.5, ttft_ms=300,
                       embedding_dimensions=EMBEDDING_DIMENSIONS),
        200, "every client resumes on the other API, no missing or duplicated token",
        # Starting 200 answers took this machine about 40 s, so each lasts about 70 s to be
        # still live at the fault, longer than the default deadline allows a late starter.
        {"JOB_DEADLINE_SECONDS": "240"},
    ),
    Scenario(
        "d", "postgres_restart", "stop Postgres (pg_ctl, fast) under load, start it 5 s later",
        2, 2,
        EmulatorConfig(completion_tokens=20, tokens_per_second=4, ttft_ms=300,
                       embedding_dimensions=EMBEDDING_DIMENSIONS),
        0, "0 accepted jobs lost, no process restarted by hand",
    ),
)  # fmt: skip


@dataclass
class Run:
    """What one scenario did: every client's trace, and when the fault began and ended."""

    traces: list[Trace]
    fault_at: float
    service_back_at: float | None = None  # (b), (d): the server answers again
    in_flight_at_fault: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


# --- the fleet -------------------------------------------------------------------------------


def bench_settings(fleet: Fleet) -> Settings:
    """This process's settings: the fleet's stores, and the emulator's embeddings, so the
    knowledge base is indexed as the workers search it (and without loading local models)."""
    return fleet.settings.model_copy(
        update={
            "openai_api_key": SecretStr(BENCH_KEY),
            "openai_base_url": f"{fleet.emulator.url}/v1",
            "embedding_dimensions": EMBEDDING_DIMENSIONS,
        }
    )


def workers(fleet: Fleet) -> list[subprocess.Popen[bytes]]:
    return fleet.processes[1 + len(fleet.apis) :]  # after the emulator and the APIs


@contextmanager
def scenario_fleet(scenario: Scenario) -> Iterator[Fleet]:
    env = FLEET_ENV | scenario.env
    plan = FleetPlan(scenario.workers, scenario.apis, scenario.emulator, env)
    with running_fleet(plan) as fleet:
        faults.check_embedded(fleet)
        yield fleet


# --- scenarios -------------------------------------------------------------------------------


async def until(condition: Callable[[], bool], bound_seconds: float) -> None:
    """Poll the clients' traces (no event to wait on: they change as events arrive)."""
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.1)


def streaming(traces: Sequence[Trace]) -> bool:
    """Every answer has streamed at least one token."""
    now = time.monotonic()
    return all(trace.tokens_before(now) > 0 for trace in traces)


async def all_at_once(
    client: Client, scenario: Scenario, fault: Callable[[], None], stream_through: int = 0
) -> Run:
    """(a), (c): ask every question at once; once every answer streams, do the fault."""
    traces = [Trace(q) for q in questions(secrets.token_hex(3), scenario.jobs)]
    asked_at = time.monotonic()
    deadline = asked_at + IN_FLIGHT_BOUND_SECONDS + DRAIN_SECONDS
    tasks = [asyncio.create_task(client.ask(t, deadline, stream_through)) for t in traces]
    await until(lambda: streaming(traces), IN_FLIGHT_BOUND_SECONDS)
    fault_at = time.monotonic()
    fault()
    run = Run(traces, fault_at, in_flight_at_fault=sum(t.in_flight_at(fault_at) for t in traces))
    run.notes["first_question_to_fault_s"] = round(fault_at - asked_at, 1)
    accepted = [t.accepted_at for t in traces if t.accepted_at is not None]
    run.notes["first_question_to_last_accepted_s"] = round(
        max(accepted, default=asked_at) - asked_at, 1
    )
    _, unfinished = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
    for task in unfinished:  # the answers that did not end within the drain stay as they are
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return run


async def worker_kill(fleet: Fleet, client: Client, scenario: Scenario) -> Run:
    victim, standby = workers(fleet)
    faults.pause(standby)  # so every answer starts on the victim

    def fault() -> None:
        faults.resume(standby)
        faults.kill(victim)

    return await all_at_once(client, scenario, fault)


async def api_kill(fleet: Fleet, client: Client, scenario: Scenario) -> Run:
    run = await all_at_once(client, scenario, lambda: faults.kill(fleet.apis[0].process))
    run.notes["resumed_on_the_other_api"] = sum(
        1 for t in run.traces if t.in_flight_at(run.fault_at) and 1 in t.arrived_through
    )
    return run


async def under_load(client: Client, outage: Callable[[], Awaitable[float]]) -> Run:
    """(b), (d): lanes ask one question after another for LOAD_SECONDS; `outage` (the fault,
    at LOAD_BEFORE_FAULT_SECONDS) returns when the server answers again."""
    tag = secrets.token_hex(3)
    started = time.monotonic()
    stop_asking, deadline = started + LOAD_SECONDS, started + LOAD_SECONDS + DRAIN_SECONDS
    traces: list[Trace] = []

    async def lane(index: int) -> None:
        for question in questions(f"{tag}-{index}", 10_000):
            if time.monotonic() >= stop_asking:
                return
            traces.append(trace := Trace(question))
            await client.ask(trace, deadline, stream_through=index % len(client.apis))

    lanes = asyncio.gather(*(lane(i) for i in range(LOAD_LANES)))
    await asyncio.sleep(LOAD_BEFORE_FAULT_SECONDS)
    fault_at = time.monotonic()
    service_back_at = await outage()
    run = Run(traces, fault_at, service_back_at)
    run.in_flight_at_fault = sum(trace.in_flight_at(fault_at) for trace in traces)
    await lanes
    return run


async def redis_restart(fleet: Fleet, client: Client, restarted: ExitStack) -> Run:
    async def outage() -> float:
        faults.kill_redis(fleet)
        await asyncio.sleep(OUTAGE_SECONDS)
        server = await asyncio.to_thread(faults.start_redis, fleet)
        restarted.callback(server.stop)
        return time.monotonic()

    return await under_load(client, outage)


async def postgres_restart(fleet: Fleet, client: Client) -> Run:
    async def outage() -> float:
        stopped = await asyncio.to_thread(faults.stop_postgres, fleet)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(faults.start_postgres, stopped)
        return time.monotonic()

    return await under_load(client, outage)


async def play(scenario: Scenario, fleet: Fleet, restarted: ExitStack) -> Run:
    apis = [api.base_url for api in fleet.apis]
    async with http_client(max(scenario.jobs, LOAD_LANES) * 2) as http:
        client = Client(http, apis, await new_session(http, apis[-1]))
        if scenario.name == "worker_kill":
            return await worker_kill(fleet, client, scenario)
        if scenario.name == "api_kill":
            return await api_kill(fleet, client, scenario)
        if scenario.name == "redis_restart":
            return await redis_restart(fleet, client, restarted)
        return await postgres_restart(fleet, client)


# --- what happened ---------------------------------------------------------------------------


async def answers_stored(resources: Resources, job_ids: list[str]) -> dict[str, int]:
    """Assistant messages per job id in Postgres."""
    query = (
        select(col(Message.job_id), func.count())
        .where(col(Message.job_id).in_(job_ids), col(Message.role) == Role.ASSISTANT.value)
        .group_by(col(Message.job_id))
    )
    async with resources.sessionmaker() as session:
        return {str(job_id): int(count) for job_id, count in (await session.execute(query)).all()}


async def done_in_redis(resources: Resources, job_ids: list[str]) -> set[str]:
    streams = await asyncio.gather(
        *(read_after(resources.redis, job_id, "0-0", EVENTS_READ_LIMIT) for job_id in job_ids)
    )
    return {
        job_id
        for job_id, events in zip(job_ids, streams, strict=True)
        if any(event.type is EventType.DONE for event in events)
    }


def seconds_summary(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "max": round(max(values), 2),
    }


def recovery(run: Run) -> dict[str, Any]:
    """For each job in flight at the fault: seconds from the fault to its next event, and to
    its `done`."""
    affected = [trace for trace in run.traces if trace.in_flight_at(run.fault_at)]
    next_event = [
        at - run.fault_at for t in affected if (at := t.first_arrival_after(run.fault_at))
    ]
    to_done = [t.arrived_at[-1] - run.fault_at for t in affected if t.done is not None]
    return {
        "affected_jobs": len(affected),
        "to_next_event_s": seconds_summary(next_event),
        "to_done_s": seconds_summary(to_done),
        "samples": {"to_next_event_s": next_event, "to_done_s": to_done},
    }


async def describe(
    scenario: Scenario, run: Run, fleet: Fleet, resources: Resources
) -> dict[str, Any]:
    accepted = [trace for trace in run.traces if trace.job_id is not None]
    job_ids = [str(trace.job_id) for trace in accepted]
    stored = await answers_stored(resources, job_ids)
    in_redis = await done_in_redis(resources, job_ids)
    finished = [trace for trace in accepted if trace.done is not None]
    lost = [t.job_id for t in accepted if t.done is None and t.job_id not in in_redis]
    broken = [t.job_id for t in finished if not stream_intact(t)]
    return {
        "scenario": scenario.key,
        "name": scenario.name,
        "what": scenario.what,
        "acceptance": scenario.acceptance,
        "questions_asked": len(run.traces),
        "jobs_accepted": len(accepted),
        "refused_503_or_429": sum(t.refused for t in run.traces),
        "other_error_statuses": sum(t.error_statuses for t in run.traces),
        "submit_connection_failures": sum(t.submit_failures for t in run.traces),
        "in_flight_at_fault": run.in_flight_at_fault,
        "jobs_lost": len(lost),
        "ended_with_error": dict(Counter(str(t.events[-1].payload().get("code")) for t in accepted
                                         if t.ended and t.done is None)),
        "lost_job_ids": lost,
        "done_seen_by_client": len(finished),
        "answers_stored": sum(stored.values()),
        "persisted_twice": sum(1 for count in stored.values() if count > 1),
        "streams_checked": len(finished),
        "streams_missing_or_duplicated_token": len(broken),
        "broken_stream_job_ids": broken,
        "reconnections": sum(t.connections - 1 for t in accepted),
        "resets": dict(Counter(e.payload()["reason"] for t in accepted for e in t.events
                               if e.type is EventType.RESET)),
        "service_back_after_s": (
            round(run.service_back_at - run.fault_at, 2) if run.service_back_at else None
        ),
        "recovery": recovery(run),
        "processes": process_states(fleet),
        **run.notes,
    }  # fmt: skip


def process_states(fleet: Fleet) -> dict[str, str]:
    """The fleet's API and worker processes at the end: none was restarted by the benchmark,
    so a dead one stays dead."""
    named = {f"api {i}": api.process for i, api in enumerate(fleet.apis)}
    named |= {f"worker {i}": process for i, process in enumerate(workers(fleet))}
    return {
        name: "running" if process.poll() is None else f"exited {process.returncode}"
        for name, process in named.items()
    }


def passed(result: dict[str, Any]) -> bool:
    no_loss = result["jobs_lost"] == 0 and result["jobs_accepted"] > 0
    if result["name"] == "worker_kill":
        p95 = result["recovery"]["to_next_event_s"].get("p95")
        return bool(
            result["done_seen_by_client"] == result["questions_asked"]
            and result["persisted_twice"] == 0
            and p95 is not None
            and p95 <= RECOVERY_TARGET_SECONDS
        )
    if result["name"] == "api_kill":
        return bool(
            no_loss
            and result["resumed_on_the_other_api"] == result["in_flight_at_fault"]
            and result["streams_missing_or_duplicated_token"] == 0
        )
    return bool(no_loss)


# --- the run ---------------------------------------------------------------------------------


def cpu_seconds() -> float:
    times = psutil.Process(os.getpid()).cpu_times()
    return float(times.user + times.system)


async def measure(scenario: Scenario, fleet: Fleet, restarted: ExitStack) -> dict[str, Any]:
    async with open_resources(bench_settings(fleet)) as resources:
        await prepare_knowledge(resources)
    cpu_before, started = cpu_seconds(), time.monotonic()
    run = await play(scenario, fleet, restarted)
    seconds = time.monotonic() - started
    client_cpu = cpu_seconds() - cpu_before
    async with open_resources(bench_settings(fleet)) as resources:  # fresh pools: after a restart
        result = await describe(scenario, run, fleet, resources)
    result["seconds"] = round(seconds, 1)
    result["bench_process_cpu_share"] = round(client_cpu / seconds, 2)
    result["passed"] = passed(result)
    return result


def run_scenario(scenario: Scenario) -> dict[str, Any]:
    with scenario_fleet(scenario) as fleet, ExitStack() as restarted:
        try:
            return asyncio.run(measure(scenario, fleet, restarted))
        finally:
            stop_all(fleet.processes, 60)  # before a restarted server goes away


def run(keys: Sequence[str]) -> dict[str, Any]:
    with measured_run() as run_info:
        results = [run_scenario(s) for s in SCENARIOS if s.key in keys]
    report = {
        "benchmark": "chaos",
        "machine": machine(),
        "run": run_info,
        "settings": settings_report(),
        "scenarios": results,
    }
    publish("chaos", report, markdown(report))
    plot(results)
    return report


def settings_report() -> dict[str, Any]:
    return {
        "fleet_env": FLEET_ENV,
        "outage_seconds": OUTAGE_SECONDS,
        "load_lanes": LOAD_LANES,
        "load_seconds": LOAD_SECONDS,
        "fault_after_seconds": LOAD_BEFORE_FAULT_SECONDS,
        "drain_seconds": DRAIN_SECONDS,
        "scenarios": {
            s.key: {"workers": s.workers, "apis": s.apis, "jobs": s.jobs, "env": s.env,
                    "emulator": s.emulator.model_dump(
                        mode="json", include={"completion_tokens", "tokens_per_second", "ttft_ms"})}
            for s in SCENARIOS
        },
    }  # fmt: skip


# --- tables, report and plot -----------------------------------------------------------------

HEADER = [
    "scenario", "accepted", "refused (503)", "lost", "persisted twice", "streams checked",
    "missing/dup token", "reconnections", "in flight at fault", "recovery to next event "
    "p50 / p95 / max s", "to done p50 / p95 / max s", "processes at end", "acceptance",
]  # fmt: skip


def _spread(summary: dict[str, Any]) -> str:
    if not summary.get("count"):
        return "-"
    return f"{summary['p50']} / {summary['p95']} / {summary['max']}"


def row(result: dict[str, Any]) -> list[Any]:
    states = Counter(result["processes"].values())
    return [
        f"({result['scenario']}) {result['name']}", result["jobs_accepted"],
        result["refused_503_or_429"], result["jobs_lost"], result["persisted_twice"],
        result["streams_checked"], result["streams_missing_or_duplicated_token"],
        result["reconnections"], result["in_flight_at_fault"],
        _spread(result["recovery"]["to_next_event_s"]), _spread(result["recovery"]["to_done_s"]),
        ", ".join(f"{n} {state}" for state, n in sorted(states.items())),
        "PASS" if result["passed"] else "FAIL",
    ]  # fmt: skip


def tables(report: dict[str, Any]) -> str:
    return markdown_table(HEADER, [row(result) for result in report["scenarios"]])


def markdown(report: dict[str, Any]) -> str:
    meta, run_info = report["machine"], report["run"]
    details = [
        f"- ({r['scenario']}) {r['what']}. Target: {r['acceptance']}. Resets by reason: "
        f"{r['resets'] or 'none'}; other error statuses: {r['other_error_statuses']}; "
        f"service back after: {r['service_back_after_s'] or '-'} s; "
        f"benchmark process CPU: {r['bench_process_cpu_share']} core."
        for r in report["scenarios"]
    ]
    return "\n".join(
        [
            "# Chaos: crashes and restarts under load",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), Python "
            f"{meta['python']}, by `python scripts/bench.py chaos` in {run_info['seconds']:.0f} s "
            f"(load average {run_info['load_average_before']} before, "
            f"{run_info['load_average_after']} after; raw samples in `chaos.json`, plot in "
            "`chaos.png`).",
            "",
            tables(report),
            "",
            *details,
            "",
            *METHOD,
            "",
        ]
    )


METHOD = [
    "## How it is measured",
    "",
    "- Each scenario runs on a fleet of its own: fresh embedded Redis (append-only file on) and "
    "Postgres, the provider emulator as every provider (embeddings, rerank, draft and review), "
    "API and worker processes started by `bench/fleet.py`. The emulator paces the "
    "draft's tokens so that answers are still streaming at the fault.",
    "- Clients (`bench/chaos_client.py`, asyncio + httpx in the benchmark's process) "
    "POST `/v1/chat`, retry a 503 or 429 after `Retry-After` and a failed connection on the "
    "other API, and follow `events_url` over SSE; a dropped stream is resumed on the next API "
    "process with `Last-Event-ID`. *accepted* = a `202`.",
    "- *lost* = accepted, and neither the client nor the job's event stream in Redis (read at "
    "the end) has `done`. *persisted twice* = jobs with more than one assistant message in "
    "Postgres. *missing/dup token* = a finished stream whose SSE ids do not strictly increase "
    "across reconnections, or whose tokens after the last `reset` differ from `done.answer`.",
    "- Recovery, for each job in flight at the fault (accepted, not ended): seconds from the "
    "fault to the next event its client received, and to its `done`. The benchmark never "
    "restarts an API or worker process; *processes at end* shows which still run.",
]


def plot(results: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for axis, key, title in zip(
        axes,
        ("to_next_event_s", "to_done_s"),
        ("fault → next event", "fault → done"),
        strict=True,
    ):
        for result in results:
            values = sorted(result["recovery"]["samples"][key])
            if values:
                fractions = [i / len(values) for i in range(1, len(values) + 1)]
                axis.step(values, fractions, where="post",
                          label=f"({result['scenario']}) {result['name']}")  # fmt: skip
        axis.set_title(f"recovery of the jobs in flight at the fault: {title}")
        axis.set_xlabel("seconds after the fault")
        axis.set_ylabel("fraction of affected jobs")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].axvline(RECOVERY_TARGET_SECONDS, color="grey", linestyle="--", linewidth=1)
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "chaos.png", dpi=120)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenarios", default="abcd", help="which scenarios to run, e.g. 'ac' (default abcd)"
    )


def run_from_args(args: argparse.Namespace) -> str:
    return tables(run(args.scenarios))
