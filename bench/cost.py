"""`scripts/bench.py cost`: CPU time per streamed chat of every process on the product path.

One API process, one worker, Redis and Postgres (embedded, in a fresh data directory) and the
provider emulator. A chat is `POST /v1/chat` with `Accept: text/event-stream`, read to its
`done` event. The load client runs in a process of its own, closed loop (each of `concurrency`
clients sends its next chat when the previous one is done), and each process's CPU time (user +
system, from /proc through psutil) is read before and after a phase of chats:

- *miss*: every chat a question no earlier chat asked, so the worker runs the whole pipeline
  (and stores the answer in the response cache);
- *hit*: one question asked again and again, each time in a new conversation, so the worker
  answers from the response cache: its CPU per job without the pipeline's own work.

Both at each concurrency, in two modes: the offline pipeline (local embeddings, extractive
answers) and every provider pointed at the emulator. Postgres is the postmaster and all its
children (backends that ended during the phase included, through the postmaster's
children times); Redis is the server process. Redis's INFO commandstats is read around each
phase, so the report names the commands that cost Redis its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from redis import Redis
from sqlalchemy import text

from bench import REPO_ROOT
from bench.fleet import Fleet, FleetPlan, load_client, prepare_knowledge, running_fleet
from bench.overhead import QUESTIONS
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from emulator import EmulatorConfig
from shared.resources import open_resources

MODES = ("offline", "emulator", "streaming")
DEFAULT_MODES = ("offline", "emulator")
# The emulator streaming like a hosted model (as in the overhead benchmark): 1 s to the first
# token, 60 tokens at 12/s, so an answer spans many coalescing ticks.
HOSTED_STREAMING = EmulatorConfig(
    ttft_ms=1000, tokens_per_second=12, completion_tokens=60, latency_ms=50
)
PROCESSES = ("api", "worker", "redis", "postgres", "emulator", "client")
# Keys and URLs that would point the product at the emulator, blanked for the offline mode.
OFFLINE_ENV = dict.fromkeys(
    ("GROQ_API_KEY", "GROQ_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "COHERE_API_KEY",
     "COHERE_BASE_URL"),
    "",
)  # fmt: skip
WARMUP_CHATS = 10
PHASE_TIMEOUT_SECONDS = 600.0
# Idle client connections are dropped before uvicorn's keep-alive timeout (5 s) closes them.
CLIENT_KEEPALIVE_SECONDS = 2.0
TOP_COMMANDS = 8


@dataclass(frozen=True)
class Plan:
    chats: int = 300
    concurrency: tuple[int, ...] = (1, 50)
    modes: tuple[str, ...] = DEFAULT_MODES
    name: str = "cost"  # the report's file name under docs/benchmarks/
    before: str | None = None  # a report of an earlier run (e.g. the base commit) to compare


@dataclass(frozen=True)
class Load:
    """What the load client did in one phase, measured in its own process."""

    chats: int
    events: int
    errors: int
    seconds: float
    client_cpu_seconds: float


@dataclass(frozen=True)
class Phase:
    mode: str
    kind: str  # miss or hit
    concurrency: int
    load: Load
    cpu_ms_per_chat: dict[str, float]
    machine_busy: float
    redis_commands: dict[str, dict[str, float]] = field(default_factory=dict)


# The load client: runs in its own process, so its CPU is not the API's or the bench's.


def run_load(base_url: str, auths: list[str], questions: list[str]) -> Load:
    """Each session (one per concurrent client) asks its next question when the last is done,
    until every question was asked."""
    cpu_before = time.process_time()
    started = time.perf_counter()
    chats, events, errors = asyncio.run(_load(base_url, auths, questions))
    seconds = time.perf_counter() - started
    return Load(chats, events, errors, seconds, time.process_time() - cpu_before)


async def _load(base_url: str, auths: list[str], questions: list[str]) -> tuple[int, int, int]:
    pending = iter(questions)
    limits = httpx.Limits(max_connections=len(auths) + 5, keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one_client(token: str) -> list[int]:
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            return [await _chat(client, base_url, headers, question) for question in pending]

        counts = await asyncio.gather(*(one_client(token) for token in auths))
    flat = [count for batch in counts for count in batch]
    return len(flat), sum(abs(count) for count in flat), sum(count < 0 for count in flat)


async def _chat(
    client: httpx.AsyncClient, base_url: str, headers: dict[str, str], question: str
) -> int:
    """One streamed chat: its number of events, negative when it ended without `done`."""
    events = 0
    async with client.stream(
        "POST", f"{base_url}/v1/chat", json={"message": question}, headers=headers
    ) as response:
        if response.status_code != 200:
            return -1
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                events += 1
                if line == "event: done":
                    return events
    return -max(events, 1)


def client_pid() -> int:
    return os.getpid()


# CPU time of the processes under test.


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def postgres_cpu_seconds(postmaster: psutil.Process) -> float:
    """The postmaster, its live children, and the children it has reaped (ended backends)."""
    times = postmaster.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in postmaster.children():
        try:
            total += cpu_seconds(child)
        except psutil.NoSuchProcess:
            pass  # it ended after the listing: its time is now in the children times
    return float(total)


@dataclass(frozen=True)
class Meters:
    """How to read each process's CPU seconds so far."""

    readers: dict[str, Callable[[], float]]

    def read(self) -> dict[str, float]:
        return {name: read() for name, read in self.readers.items()}


def meters(fleet: Fleet, postmaster: int, redis_server: int, client: int) -> Meters:
    def of(pid: int) -> Callable[[], float]:
        process = psutil.Process(pid)
        return lambda: cpu_seconds(process)

    postgres = psutil.Process(postmaster)
    return Meters(
        {
            "api": of(fleet.apis[0].process.pid),
            "worker": of(fleet.processes[-1].pid),
            "redis": of(redis_server),
            "postgres": lambda: postgres_cpu_seconds(postgres),
            "emulator": of(fleet.processes[0].pid),
            "client": of(client),
        }
    )


async def server_pids(fleet: Fleet) -> tuple[int, int]:
    """(the postmaster's pid, the Redis server's pid), as the servers themselves report them."""
    async with open_resources(fleet.settings) as resources:
        async with resources.engine.connect() as connection:
            backend = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            parent = psutil.Process(backend).parent()  # while the backend still runs
        info = await resources.redis.info("server")
    assert parent is not None, "a Postgres backend without its postmaster"
    return parent.pid, int(info["process_id"])


def command_stats(redis_url: str) -> dict[str, dict[str, float]]:
    """INFO commandstats: calls and microseconds per command so far."""
    with Redis.from_url(redis_url) as redis:
        stats: dict[str, Any] = redis.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): {"calls": float(v["calls"]), "usec": float(v["usec"])}
        for name, v in stats.items()
    }


def commands_per_chat(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], chats: int
) -> dict[str, dict[str, float]]:
    """Calls and Redis microseconds per chat of each command used in the phase, costliest first."""
    used = {}
    for name, now in after.items():
        was = before.get(name, {"calls": 0.0, "usec": 0.0})
        calls = now["calls"] - was["calls"]
        if calls > 0:
            used[name] = {
                "calls": round(calls / chats, 2),
                "usec": round((now["usec"] - was["usec"]) / chats, 1),
            }
    return dict(sorted(used.items(), key=lambda item: -item[1]["usec"]))


# Phases.


def phase(
    executor: ProcessPoolExecutor,
    fleet: Fleet,
    meters: Meters,
    kind: str,
    mode: str,
    auths: list[str],
    questions: list[str],
) -> Phase:
    redis_before = command_stats(fleet.urls.redis_url)
    psutil.cpu_percent()  # starts the machine-wide count read at the end
    before = meters.read()
    load = executor.submit(run_load, fleet.apis[0].base_url, auths, questions).result(
        timeout=PHASE_TIMEOUT_SECONDS
    )
    after = meters.read()
    busy = round(float(psutil.cpu_percent()) / 100, 2)
    redis_after = command_stats(fleet.urls.redis_url)
    per_chat = {name: round((after[name] - before[name]) * 1000 / load.chats, 2) for name in before}
    return Phase(
        mode, kind, len(auths), load, per_chat, busy,
        commands_per_chat(redis_before, redis_after, load.chats),
    )  # fmt: skip


def new_sessions(base_url: str, count: int) -> list[str]:
    with httpx.Client(timeout=30) as client:
        return [client.post(f"{base_url}/v1/sessions").json()["token"] for _ in range(count)]


def distinct_questions(tag: str, count: int) -> list[str]:
    """Questions no other chat of the run asks (so none is answered from the cache)."""
    return [
        f"{QUESTIONS[i % len(QUESTIONS)].rstrip('?')} ({tag}, question {i})?" for i in range(count)
    ]


def measure_mode(mode: str, plan: Plan, run_id: str) -> list[Phase]:
    env = OFFLINE_ENV if mode == "offline" else {}
    # Paced answers would only stretch the run; the cost is per chat, not per second.
    env = {**env, "LOCAL_LLM_WORDS_PER_SECOND": "0"}
    emulator = HOSTED_STREAMING if mode == "streaming" else EmulatorConfig()
    fleet_plan = FleetPlan(workers=1, apis=1, emulator=emulator, env=env)
    with running_fleet(fleet_plan) as fleet, load_client() as executor:
        asyncio.run(_prepare(fleet))
        postmaster, redis_server = asyncio.run(server_pids(fleet))
        client = executor.submit(client_pid).result()
        fleet_meters = meters(fleet, postmaster, redis_server, client)
        base_url = fleet.apis[0].base_url
        auths = new_sessions(base_url, max(plan.concurrency))
        warmup = distinct_questions(f"{run_id} {mode} warm-up", WARMUP_CHATS)
        executor.submit(run_load, base_url, auths[:1], warmup).result()
        hit_question = warmup[0]  # answered once: in the cache from now on
        phases = []
        for concurrency in plan.concurrency:
            tag = f"{run_id} {mode} c{concurrency}"
            users = auths[:concurrency]
            misses = distinct_questions(tag, plan.chats)
            phases.append(phase(executor, fleet, fleet_meters, "miss", mode, users, misses))
            hits = [hit_question] * plan.chats
            phases.append(phase(executor, fleet, fleet_meters, "hit", mode, users, hits))
        return phases


async def _prepare(fleet: Fleet) -> None:
    async with open_resources(fleet.settings) as resources:
        await prepare_knowledge(resources)


def measured_commit() -> str:
    """The commit of the code under test (this checkout's HEAD)."""
    head = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return head.stdout.strip() or "unknown"


def run(plan: Plan) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    with measured_run() as run_info:
        run_info["commit"] = measured_commit()
        phases = [p for mode in plan.modes for p in measure_mode(mode, plan, run_id)]
    report = {
        "benchmark": "cost",
        "machine": machine(),
        "run": {"id": run_id, **run_info},
        "plan": asdict(plan),
        "phases": [asdict(p) for p in phases],
    }
    before = json.loads(Path(plan.before).read_text()) if plan.before else None
    if before is not None:
        report["before"] = {"run": before["run"], "machine": before["machine"]}
    publish(plan.name, report, markdown(report, before))
    plot(plan.name, report, before)
    return report


# Report.

PHASE_HEADER = [
    "mode", "chats", "concurrency", "chats/s", "events/chat", "errors",
    *(f"{name} ms/chat" for name in PROCESSES), "machine busy",
]  # fmt: skip


def phase_row(phase: dict[str, Any]) -> list[Any]:
    load, cpu = phase["load"], phase["cpu_ms_per_chat"]
    return [
        phase["mode"], phase["kind"], phase["concurrency"],
        round(load["chats"] / load["seconds"], 1), round(load["events"] / load["chats"], 1),
        load["errors"], *(cpu[name] for name in PROCESSES), f"{phase['machine_busy']:.0%}",
    ]  # fmt: skip


def phase_key(phase: dict[str, Any]) -> tuple[str, str, int]:
    return phase["mode"], phase["kind"], phase["concurrency"]


def comparison_rows(report: dict[str, Any], before: dict[str, Any]) -> list[list[Any]]:
    """Per phase and process: CPU ms per chat before, after, and their ratio."""
    earlier = {phase_key(p): p for p in before["phases"]}
    rows = []
    for phase in report["phases"]:
        old = earlier.get(phase_key(phase))
        if old is None:
            continue
        cells = []
        for name in ("api", "redis", "worker", "postgres"):
            was, now = old["cpu_ms_per_chat"][name], phase["cpu_ms_per_chat"][name]
            cells.append(f"{was} → **{now}**")
        rows.append([*phase_key(phase), *cells])
    return rows


COMPARISON_HEADER = [
    "mode", "chats", "concurrency",
    *(f"{name} ms/chat before → after" for name in ("API", "Redis", "worker", "Postgres")),
]  # fmt: skip


def commands_table(report: dict[str, Any]) -> str:
    rows = []
    for phase in report["phases"]:
        if phase["concurrency"] != max(report["plan"]["concurrency"]):
            continue
        top = list(phase["redis_commands"].items())[:TOP_COMMANDS]
        cells = ", ".join(f"{name} {v['calls']:g} calls {v['usec']:g} µs" for name, v in top)
        rows.append([*phase_key(phase), cells])
    return markdown_table(["mode", "chats", "concurrency", "Redis commands per chat"], rows)


def tables(report: dict[str, Any], before: dict[str, Any] | None) -> str:
    parts = [markdown_table(PHASE_HEADER, [phase_row(p) for p in report["phases"]])]
    if before is not None:
        parts.insert(0, markdown_table(COMPARISON_HEADER, comparison_rows(report, before)))
    parts.append(commands_table(report))
    return "\n\n".join(parts)


def markdown(report: dict[str, Any], before: dict[str, Any] | None) -> str:
    meta, run_info, plan = report["machine"], report["run"], report["plan"]
    lines = [
        "# CPU per streamed chat, per process",
        "",
        f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), Python "
        f"{meta['python']}, by `python scripts/bench.py cost` in {run_info['seconds']} s "
        f"(1-minute load average {run_info['load_average_before']} before, "
        f"{run_info['load_average_after']} after; raw figures in `{plan['name']}.json`, plot in "
        f"`{plan['name']}.png`).",
    ]
    if before is not None:
        lines += [
            "",
            f"*before* is run `{before['run']['id']}` of the same script on commit "
            f"`{before['run']['commit']}`, measured "
            f"{before['machine']['measured_at']} on the same machine; *after* is this run, on "
            f"commit `{run_info['commit']}`.",
        ]
    lines += ["", tables(report, before), "", *reading(plan), ""]
    return "\n".join(lines)


def reading(plan: dict[str, Any]) -> list[str]:
    return [
        f"- Each row is {plan['chats']} chats after {WARMUP_CHATS} warm-up chats, with one API "
        "process, one worker, Redis and Postgres on this machine. *ms/chat* is the process's "
        "CPU time (user + system) over the phase divided by its chats; *postgres* counts the "
        "postmaster and every backend; *client* is the load client, in a process of its own; "
        "*machine busy* is the share of all cores' time that was not idle.",
        "- *miss*: every chat a new question (the whole pipeline runs and its answer is cached). "
        "*hit*: one cached question asked again in new conversations; the worker answers from "
        "the response cache, so its figure is its CPU per job without the pipeline.",
        "- *offline*: local embeddings and the extractive answerer in the worker. *emulator*: "
        "every provider (chat, embeddings, rerank) is the provider emulator, answering at once. "
        "*streaming*: the emulator streaming like a hosted model (1 s to the first token, 60 "
        "tokens at 12 per second), so each answer's tokens span many coalescing ticks.",
        "- *Redis commands per chat*: calls and Redis's own microseconds per chat of each "
        f"command (INFO commandstats around the phase), the {TOP_COMMANDS} costliest.",
    ]


def plot(name: str, report: dict[str, Any], before: dict[str, Any] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [("after" if before else "", report)] + ([("before", before)] if before else [])
    shown = ("api", "redis", "worker", "postgres")
    figure, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 5), squeeze=False)
    for axis, process in zip(axes[0], shown, strict=True):
        for offset, (label, data) in enumerate(runs):
            labels = ["/".join(str(k) for k in phase_key(p)) for p in data["phases"]]
            values = [p["cpu_ms_per_chat"][process] for p in data["phases"]]
            positions = [i + offset * 0.4 for i in range(len(values))]
            axis.barh(positions, values, height=0.4, label=label or None)
        axis.set_yticks(range(len(labels)), labels)
        axis.set_title(f"{process}: CPU ms per chat")
        axis.grid(True, axis="x", alpha=0.3)
        if before:
            axis.legend()
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / f"{name}.png", dpi=120)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Plan()
    parser.add_argument("--chats", type=int, default=defaults.chats, help="chats per phase")
    parser.add_argument("--concurrency", default=",".join(map(str, defaults.concurrency)))
    parser.add_argument(
        "--modes", default=",".join(defaults.modes), help="offline,emulator,streaming"
    )
    parser.add_argument("--name", default=defaults.name, help="report name in docs/benchmarks/")
    parser.add_argument("--before", help="JSON report of an earlier run to compare with")


def run_from_args(args: argparse.Namespace) -> str:
    plan = Plan(
        chats=args.chats,
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        modes=tuple(m for m in args.modes.split(",") if m in MODES),
        name=args.name,
        before=args.before,
    )
    report = run(plan)
    before = json.loads(Path(plan.before).read_text()) if plan.before else None
    return tables(report, before)
