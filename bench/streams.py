"""`scripts/bench.py streams`: the most concurrent SSE clients one API process holds while every
stream carries a live answer, within inter-event gap p99 ≤ 150 ms and first event p99 ≤ 1 s.

A ramp of steps (250, 500, 1000, … streams) runs against the API's relay (`api/sse/`) and, in
the same run with the same producers and load client, against a naive relay (one Redis
connection and one blocking XREAD per stream, `bench/streams_naive.py`). Each step
creates its jobs as admission does (the job record, then the `queued` status event), starts
producer processes that write a token to every stream each 20 ms through the worker's own
coalescer, and client processes that open one SSE connection per job at a fixed rate
(`GET /v1/jobs/{id}/events` with the job's signed `events_url`). Once every stream had its
first event, a measurement window notes the gaps between events on every stream and the CPU of
each process (relay, Redis, producers, clients); then the producers end every stream with
`done`. A relay's ramp stops at the first step out of the bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import psutil
from redis.asyncio import Redis

from bench.fleet import Fleet, FleetPlan, running_fleet, start_dev_module
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from bench.stats import percentile, summary
from bench.streams_load import ClientPlan, ProducerPlan, client_main, producer_main
from izana.processes import free_port, stop
from shared.events import EventPublisher, EventType, Stage
from shared.jobs import JobRecord, JobStatus, JobStore, new_job_id, now_ms

if TYPE_CHECKING:
    from matplotlib.axes import Axes

GAP_P99_BOUND_MS = 150.0
FIRST_EVENT_P99_BOUND_MS = 1000.0
TOKEN_INTERVAL_SECONDS = 0.020
FLUSH_INTERVAL_SECONDS = 0.050  # the worker's TOKEN_FLUSH_INTERVAL_MS default
STREAM_TTL_SECONDS = 120  # the steps' streams expire soon after, not to fill Redis
SATURATED_CORE_SHARE = 0.9
RELAYS = ("naive", "api")
SETUP_CONCURRENCY = 32


@dataclass(frozen=True)
class Plan:
    steps: tuple[int, ...]
    measure_seconds: float
    connects_per_second: float
    producers: int
    clients: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", default="250,500,1000,2000,3000,4000", help="streams per step")
    parser.add_argument("--measure-seconds", type=float, default=10.0)
    parser.add_argument("--connects-per-second", type=float, default=250.0)
    parser.add_argument("--producers", type=int, default=2, help="producer processes")
    parser.add_argument("--clients", type=int, default=2, help="load client processes")


def run_from_args(args: argparse.Namespace) -> str:
    steps = tuple(int(n) for n in args.steps.split(","))
    plan = Plan(steps, args.measure_seconds, args.connects_per_second, args.producers, args.clients)
    return summary_text(run(plan))


@dataclass(frozen=True)
class Relay:
    name: str
    base_url: str
    pid: int


@dataclass(frozen=True)
class Setup:
    """What every step shares: the servers, a session owning the jobs, Redis's pid."""

    fleet: Fleet
    auth: dict[str, str]
    session_id: str
    redis_pid: int


def run(plan: Plan) -> dict[str, Any]:
    # Every stream belongs to the benchmark's one session: its limit of open streams is lifted.
    env = {"SSE_MAX_STREAMS_PER_SESSION": str(2 * max(plan.steps))}
    fleet_plan = FleetPlan(workers=0, apis=1, env=env)
    with running_fleet(fleet_plan) as fleet, measured_run() as timing:
        naive = start_naive_relay(fleet.urls.redis_url)
        try:
            setup = asyncio.run(prepare(fleet))
            api = fleet.apis[0]
            relays = [
                Relay("naive", f"http://127.0.0.1:{naive[1]}", naive[0].pid),
                Relay("api", api.base_url, api.process.pid),
            ]
            ramps = {relay.name: ramp(setup, relay, plan) for relay in relays}
        finally:
            stop(naive[0])
    report = build_report(plan, ramps, timing)
    publish("streams", report, markdown(report))
    _plot(report)
    return report


def start_naive_relay(redis_url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = start_dev_module("bench.streams_naive", "--port", str(port), "--redis-url", redis_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the naive relay did not start")


async def prepare(fleet: Fleet) -> Setup:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{fleet.apis[0].base_url}/v1/sessions")
        response.raise_for_status()
        session = response.json()
    redis = Redis.from_url(fleet.urls.redis_url)
    try:
        redis_pid = int((await redis.info("server"))["process_id"])
    finally:
        await redis.aclose()
    return Setup(
        fleet, {"Authorization": f"Bearer {session['token']}"}, session["session_id"], redis_pid
    )


async def create_jobs(setup: Setup, count: int) -> list[str]:
    """`count` queued chat jobs as admission records them, and their signed events paths."""
    settings = setup.fleet.settings
    redis = Redis.from_url(setup.fleet.urls.redis_url)
    jobs = JobStore(redis, settings.job_record_ttl_seconds)
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)
    base_url = setup.fleet.apis[0].base_url

    async def one(client: httpx.AsyncClient) -> str:
        job_id = new_job_id()
        async with limit:
            record = JobRecord(
                job_id, "chat", JobStatus.QUEUED, setup.session_id, str(uuid.uuid4()), now_ms()
            )
            await jobs.create(record)
            events = EventPublisher(redis, job_id, settings.events_max_len, STREAM_TTL_SECONDS)
            await events.publish(EventType.STATUS, {"stage": Stage.QUEUED.value, "position": 1})
            response = await client.get(f"{base_url}/v1/jobs/{job_id}", headers=setup.auth)
            response.raise_for_status()
            path: str = response.json()["events_url"]
            return path

    try:
        async with httpx.AsyncClient(timeout=30) as client:
            return list(await asyncio.gather(*(one(client) for _ in range(count))))
    finally:
        await redis.aclose()


def job_id_of(path: str) -> str:
    return path.split("/")[3]


def ramp(setup: Setup, relay: Relay, plan: Plan) -> list[dict[str, Any]]:
    results = []
    for streams in plan.steps:
        paths = asyncio.run(create_jobs(setup, streams))
        result = run_step(setup, relay, plan, paths)
        results.append(result)
        print(f"{relay.name} {streams} streams: {step_line(result)}", file=sys.stderr)
        if not result["within_bounds"]:
            break
    return results


def shares(items: list[str], parts: int) -> list[list[str]]:
    return [items[i::parts] for i in range(parts) if items[i::parts]]


def spawn(target: Any, plan: Any) -> tuple[BaseProcess, Connection]:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=target,
        args=(plan, child),
        daemon=True,  # never outlives a failed run
    )
    process.start()
    return process, parent


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def run_step(setup: Setup, relay: Relay, plan: Plan, paths: list[str]) -> dict[str, Any]:
    settings, address = setup.fleet.settings, urlsplit(relay.base_url)
    producers = [
        spawn(
            producer_main,
            ProducerPlan(
                setup.fleet.urls.redis_url,
                [job_id_of(path) for path in share],
                TOKEN_INTERVAL_SECONDS,
                FLUSH_INTERVAL_SECONDS,
                settings.events_max_len,
                STREAM_TTL_SECONDS,
            ),
        )
        for share in shares(paths, plan.producers)
    ]
    rate = plan.connects_per_second / plan.clients
    open_timeout = len(paths) / plan.connects_per_second + 30
    clients = [
        spawn(
            client_main,
            ClientPlan(address.hostname or "", address.port or 80, share, rate, open_timeout),
        )
        for share in shares(paths, plan.clients)
    ]
    opened = [control.recv() for _, control in clients]
    pids = {
        "relay": [relay.pid],
        "redis": [setup.redis_pid],
        "producers": [p.pid for p, _ in producers if p.pid is not None],
        "clients": [p.pid for p, _ in clients if p.pid is not None],
    }
    before = {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}
    started = time.monotonic()
    for _, control in clients:
        control.send("measure")
    time.sleep(plan.measure_seconds)
    for _, control in clients:
        control.send("report")
    window = time.monotonic() - started
    after = {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}
    rss = psutil.Process(relay.pid).memory_info().rss
    measured = [control.recv() for _, control in clients]
    for _, control in producers:
        control.send("stop")
    produced = [control.recv() for _, control in producers]
    for _, control in clients:
        control.send(30.0)  # seconds to wait for every stream's `done`
    ended = [control.recv() for _, control in clients]
    for process, _ in [*producers, *clients]:
        process.join(30)
    cpu = {name: round(after[name] - before[name], 3) for name in pids}
    return step_result(len(paths), window, cpu, rss, opened, measured, produced, ended)


def merged_failures(reports: list[dict[str, Any]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for report in reports:
        total.update(report["failures"])
    return dict(total)


def gap_histogram(gaps_ms: list[float]) -> dict[str, int]:
    """Gaps counted per whole millisecond (rounded up), the raw samples of a step."""
    return {str(ms): n for ms, n in sorted(Counter(int(-(-g // 1)) for g in gaps_ms).items())}


def step_result(
    streams: int,
    window: float,
    cpu: dict[str, float],
    rss: int,
    opened: list[dict[str, Any]],
    measured: list[dict[str, Any]],
    produced: list[dict[str, Any]],
    ended: list[dict[str, Any]],
) -> dict[str, Any]:
    first_ms = [ms for report in opened for ms in report["first_event_ms"]]
    gaps = [gap for report in measured for gap in report["gaps_ms"]]
    events = sum(report["events"] for report in measured)
    lateness = [ms for report in produced for ms in report["lateness_ms"]]
    failures = merged_failures(ended)
    share = {name: round(seconds / window, 3) for name, seconds in cpu.items()}
    gap_p99 = percentile(gaps, 99) if gaps else float("inf")
    first_p99 = percentile(first_ms, 99) if first_ms else float("inf")
    within = (
        gap_p99 <= GAP_P99_BOUND_MS
        and first_p99 <= FIRST_EVENT_P99_BOUND_MS
        and len(first_ms) == streams
        and not failures
    )
    return {
        "streams": streams,
        "window_seconds": round(window, 2),
        "open_seconds": max(report["open_seconds"] for report in opened),
        "streams_with_first_event": len(first_ms),
        "failures": failures,
        "events": events,
        "events_per_second": round(events / window, 1),
        "gap_ms": summary(gaps) if gaps else {},
        "gap_max_ms": round(max(gaps), 1) if gaps else None,
        "first_event_ms": summary(first_ms) if first_ms else {},
        "producer_lateness_ms": summary(lateness) if lateness else {},
        "producer_commands": sum(report["commands"] for report in produced),
        "producer_errors": sum(report["errors"] for report in produced),
        "cpu_seconds": cpu,
        "cpu_core_share": share,
        "relay_us_per_event": round(cpu["relay"] / events * 1e6, 1) if events else None,
        "relay_ms_per_stream_second": round(cpu["relay"] / window / streams * 1000, 4),
        "relay_rss_mb": round(rss / 2**20, 1),
        "bound_by": bound_by(share),
        "within_bounds": within,
        "raw": {"first_event_ms": [round(ms, 2) for ms in first_ms], "gaps": gap_histogram(gaps)},
    }


def bound_by(share: dict[str, float]) -> list[str]:
    """Processes near a full core, and the machine when all of them together nearly fill it."""
    busy = [name for name, used in share.items() if used >= SATURATED_CORE_SHARE]
    cores = psutil.cpu_count() or 1
    if sum(share.values()) >= SATURATED_CORE_SHARE * cores:
        busy.append("machine")
    return busy


def best(results: list[dict[str, Any]]) -> int:
    return max((r["streams"] for r in results if r["within_bounds"]), default=0)


def build_report(
    plan: Plan, ramps: dict[str, list[dict[str, Any]]], timing: dict[str, Any]
) -> dict[str, Any]:
    held = {name: best(results) for name, results in ramps.items()}
    ratio = round(held["api"] / held["naive"], 1) if held["naive"] else None
    return {
        "benchmark": "streams",
        "machine": machine(),
        "run": timing,
        "plan": {
            "steps": list(plan.steps),
            "measure_seconds": plan.measure_seconds,
            "connects_per_second": plan.connects_per_second,
            "producer_processes": plan.producers,
            "client_processes": plan.clients,
            "token_interval_ms": TOKEN_INTERVAL_SECONDS * 1000,
            "flush_interval_ms": FLUSH_INTERVAL_SECONDS * 1000,
            "gap_p99_bound_ms": GAP_P99_BOUND_MS,
            "first_event_p99_bound_ms": FIRST_EVENT_P99_BOUND_MS,
        },
        "held_streams": held,
        "acceptance": {
            "api_streams": held["api"],
            "naive_streams": held["naive"],
            "ratio": ratio,
            "passed": held["api"] >= 2000 and ratio is not None and ratio >= 10,
        },
        "ramps": ramps,
    }


HEADER = [
    "relay", "streams", "events/s", "gap p50 / p99 ms", "first event p99 ms", "relay CPU",
    "relay µs/event", "relay CPU ms/s per stream", "relay RSS MB", "Redis CPU", "producers CPU",
    "clients CPU", "producer tick lateness p99 ms", "within bounds", "saturated",
]  # fmt: skip


def _percent(share: float) -> str:
    return f"{share:.0%}"


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name, results in report["ramps"].items():
        for r in results:
            share = r["cpu_core_share"]
            rows.append(
                [
                    name,
                    r["streams"],
                    r["events_per_second"],
                    f"{r['gap_ms'].get('p50', '-')} / {r['gap_ms'].get('p99', '-')}",
                    r["first_event_ms"].get("p99", "-"),
                    _percent(share["relay"]),
                    r["relay_us_per_event"],
                    r["relay_ms_per_stream_second"],
                    r["relay_rss_mb"],
                    _percent(share["redis"]),
                    _percent(share["producers"]),
                    _percent(share["clients"]),
                    r["producer_lateness_ms"].get("p99", "-"),
                    "yes" if r["within_bounds"] else _why_not(r),
                    ", ".join(r["bound_by"]) or "-",
                ]
            )
    return rows


def _why_not(result: dict[str, Any]) -> str:
    reasons = []
    if result["gap_ms"].get("p99", float("inf")) > GAP_P99_BOUND_MS:
        reasons.append("gap")
    if result["first_event_ms"].get("p99", float("inf")) > FIRST_EVENT_P99_BOUND_MS:
        reasons.append("first event")
    if result["failures"] or result["streams_with_first_event"] < result["streams"]:
        reasons.append(f"failures {result['failures']}")
    return "no: " + ", ".join(reasons)


def step_line(result: dict[str, Any]) -> str:
    return markdown_table(HEADER[1:], [table_rows({"ramps": {"": [result]}})[0][1:]]).split("\n")[2]


def summary_text(report: dict[str, Any]) -> str:
    verdict = report["acceptance"]
    return "\n".join(
        [
            markdown_table(HEADER, table_rows(report)),
            "",
            f"Held within the bounds: API relay {verdict['api_streams']} streams, naive relay "
            f"{verdict['naive_streams']} (ratio {verdict['ratio']}). Acceptance (≥ 2,000 and "
            f"≥ 10 times): {'passed' if verdict['passed'] else 'FAILED'}.",
        ]
    )


def markdown(report: dict[str, Any]) -> str:
    meta, plan = report["machine"], report["plan"]
    return "\n".join(
        [
            "# Concurrent SSE streams held by one API process",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), "
            f"Python {meta['python']}, by `python scripts/bench.py streams --steps "
            f"{','.join(str(n) for n in plan['steps'])}` in {report['run']['seconds']} s "
            f"(load average {report['run']['load_average_before']} before, "
            f"{report['run']['load_average_after']} after; raw first-event latencies and gap "
            "histograms in `streams.json`, plot in `streams.png`).",
            "",
            summary_text(report),
            "",
            "## How it is measured",
            "",
            f"- Bounds: inter-event gap p99 ≤ {plan['gap_p99_bound_ms']:.0f} ms over every "
            f"stream of the step, first event p99 ≤ {plan['first_event_p99_bound_ms']:.0f} ms "
            "from the client's connect, every stream open and ended by its `done`. A relay's "
            "ramp stops at its first step out of the bounds.",
            "- *api* is one `izana api` process (uvicorn, uvloop, httptools) with its relay "
            "(`api/sse/`); *naive* is `bench/streams_naive.py`: the same stack with one "
            "Redis connection and one blocking `XREAD` per client. Both read the same embedded "
            "Redis; no worker runs.",
            "- Each step creates its chat jobs as admission does (job record, then the `queued` "
            "event) and fetches each job's signed `events_url` from `GET /v1/jobs/{id}`; all "
            "jobs belong to one session, whose limit of open streams is lifted for the run. "
            f"{plan['producer_processes']} producer processes write a token to every stream each "
            f"{plan['token_interval_ms']:.0f} ms through the worker's `EventCoalescer` and "
            f"`EventTicker` ({plan['flush_interval_ms']:.0f} ms ticks) over `EventPublisher`'s "
            "script, the script calls of a tick sent as one pipelined write; at the step's end "
            "they publish `done` on every stream.",
            f"- {plan['client_processes']} client processes (uvloop, raw HTTP/1.1 sockets) "
            f"connect at {plan['connects_per_second']:.0f} streams/s in all, note when each "
            "stream's first event arrives, and, once every stream had it, count events and the "
            f"gaps between consecutive events of a stream for {plan['measure_seconds']:.0f} s.",
            "- CPU is each process's user + system time over that window (psutil), as a share "
            "of one core; *relay µs/event* is the relay's CPU divided by the events the "
            "clients received; *CPU ms/s per stream* the relay's CPU per second per open stream. "
            "RSS is the relay's at the window's end. *Producer tick lateness* is how late the "
            "producers' 20-ms ticks started: when it grows, the producers, not the relay, "
            "stretch the gaps. *Saturated* names processes that used ≥ 90 % of a core, and "
            "*machine* when all of them together used ≥ 90 % of the cores.",
            "",
        ]
    )


def _plot(report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency_axis, cpu_axis) = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
    _plot_latency(latency_axis, report)
    _plot_cpu(cpu_axis, report)
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "streams.png", dpi=120)


def _plot_latency(axis: Axes, report: dict[str, Any]) -> None:
    for name, results in report["ramps"].items():
        streams = [r["streams"] for r in results]
        axis.plot(streams, [r["gap_ms"].get("p99") for r in results], "o-", label=f"{name} gap p99")
        axis.plot(
            streams,
            [r["first_event_ms"].get("p99") for r in results],
            "s--",
            label=f"{name} first event p99",
        )
    axis.axhline(GAP_P99_BOUND_MS, color="tab:red", ls=":", label="gap bound")
    axis.axhline(FIRST_EVENT_P99_BOUND_MS, color="tab:purple", ls=":", label="first event bound")
    axis.set_yscale("log")
    axis.set_ylabel("ms")
    axis.set_title("latency per step (a relay's ramp stops at its first step out of the bounds)")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)


def _plot_cpu(axis: Axes, report: dict[str, Any]) -> None:
    for name, results in report["ramps"].items():
        streams = [r["streams"] for r in results]
        for process in ("relay", "redis", "producers", "clients"):
            style = "o-" if process == "relay" else ".:"
            axis.plot(
                streams,
                [r["cpu_core_share"][process] * 100 for r in results],
                style,
                label=f"{name}: {process}",
            )
    axis.set_xscale("log")
    axis.set_xlabel("concurrent streams")
    axis.set_ylabel("CPU, % of one core")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7, ncol=2)
