"""`scripts/bench.py cache`: the response cache and single flight, through the product path.

One API process and one worker, every provider pointed at the emulator (500 ms to the first
token), and three measurements in one run:
- time to first token of a miss (a question's first ask) against a hit (the same question
  asked again), one request at a time, as the client sees it over SSE;
- how many hits per second one API process serves to concurrent clients asking a cached
  question (still through admission, the queue and the worker);
- single flight: identical concurrent questions, counted in the emulator's chat requests.

The fleet runs in a fresh data directory, with embedded Redis and Postgres of its own, so no
other benchmark on the machine shares its queue, its cache or its emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import psutil
from httpx_sse import aconnect_sse
from sqlmodel import col, select

from bench.fleet import Fleet, FleetPlan, new_session, prepare_knowledge, running_fleet
from bench.overhead import QUESTIONS
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from bench.stats import summary
from emulator import EmulatorConfig
from shared.db.models import Message
from shared.events import DoneData
from shared.rag.answer import AnswerSource
from shared.resources import Resources, open_resources

MEASURE_TIMEOUT_SECONDS = 240.0
WARMUP_QUESTIONS = 3
API_PROCESSES = 1
# Idle client connections are dropped before uvicorn's keep-alive timeout (5 s) closes them:
# with both at 5 s, a request can go out on a connection the server is closing (ReadError).
CLIENT_KEEPALIVE_SECONDS = 2.0
# A 1-minute load average above this before the run means something else was using the CPUs.
BUSY_LOAD = 0.5


@dataclass(frozen=True)
class Plan:
    questions: int = 30
    hit_requests: int = 1000
    hit_clients: int = 50
    flight_requests: int = 100
    ttft_ms: float = 500.0
    tokens_per_second: float = 100.0


@dataclass(frozen=True)
class Reply:
    """One answer as the client saw it over SSE."""

    ttft_ms: float
    total_ms: float
    streamed: str  # the token texts after the last reset
    done: DoneData


@dataclass(frozen=True)
class CpuUse:
    shares: dict[str, float]  # CPU seconds per second, per process (1.0 = one core)
    machine_busy: float  # the share of all cores' time that was not idle, whoever used it


class CpuMeter:
    """CPU time of some processes, and of the whole machine, from its creation to `read`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        psutil.cpu_percent()  # starts the machine-wide count that `read` ends

    def read(self, seconds: float) -> CpuUse:
        shares = {
            name: round((cpu_seconds(pid) - self._before[name]) / seconds, 2)
            for name, pid in self._pids.items()
        }
        return CpuUse(shares, round(float(psutil.cpu_percent()) / 100, 2))


@dataclass(frozen=True)
class HitLoad:
    replies: list[Reply]
    clients: int
    seconds: float
    upstream_requests: int  # everything the emulator received meanwhile
    cpu: CpuUse

    @property
    def per_second(self) -> float:
        return len(self.replies) / self.seconds


@dataclass(frozen=True)
class Flight:
    replies: list[Reply]
    chat_calls: dict[str, int]  # chat requests the emulator received, per model
    upstream_requests: int
    sources: dict[str, int]  # the answers' audit `source` in Postgres


@dataclass(frozen=True)
class Results:
    miss: list[Reply]
    hit: list[Reply]
    load: HitLoad
    flight: Flight
    emulator: EmulatorConfig


def unique_questions(run_id: str, count: int) -> list[str]:
    """Questions no earlier run asked: the overhead benchmark's, tagged with the run id."""
    return [
        f"{QUESTIONS[i % len(QUESTIONS)].rstrip('?')} (cache bench {run_id}, question {i})?"
        for i in range(count)
    ]


async def ask(
    client: httpx.AsyncClient, base_url: str, auth: dict[str, str], question: str
) -> Reply:
    """POST /v1/chat streamed: time to the first `token` event, the streamed text and `done`."""
    started = time.perf_counter()
    first_token_at: float | None = None
    tokens: list[str] = []
    url = f"{base_url}/v1/chat"
    async with aconnect_sse(client, "POST", url, json={"message": question}, headers=auth) as sse:
        sse.response.raise_for_status()
        async for event in sse.aiter_sse():
            if event.event == "token":
                first_token_at = first_token_at or time.perf_counter()
                tokens.append(event.json()["text"])
            elif event.event == "reset":
                tokens.clear()
            elif event.event == "done" and first_token_at is not None:
                done = DoneData.model_validate(event.json())
                ttft_ms = (first_token_at - started) * 1000
                total_ms = (time.perf_counter() - started) * 1000
                return Reply(ttft_ms, total_ms, "".join(tokens), done)
            elif event.event in {"done", "error"}:
                raise RuntimeError(f"{event.event} without an answer: {event.data}")
    raise RuntimeError("stream ended without a done event")


async def sessions(client: httpx.AsyncClient, base_url: str, count: int) -> list[dict[str, str]]:
    return list(await asyncio.gather(*(new_session(client, base_url) for _ in range(count))))


async def miss_then_hit(
    client: httpx.AsyncClient, base_url: str, auth: dict[str, str], questions: Sequence[str]
) -> tuple[list[Reply], list[Reply]]:
    """Each question asked twice in a row, one request at a time: (first asks, second asks)."""
    pairs = [
        (await ask(client, base_url, auth, q), await ask(client, base_url, auth, q))
        for q in questions
    ]
    return [first for first, _ in pairs], [second for _, second in pairs]


async def hit_load(
    fleet: Fleet,
    client: httpx.AsyncClient,
    auths: Sequence[dict[str, str]],
    question: str,
    requests: int,
) -> HitLoad:
    """Closed loop: each client asks the cached `question` again as soon as it has an answer,
    until `requests` answers were asked for in all."""
    base_url = fleet.apis[0].base_url
    await fleet.emulator.reset()
    pending = iter(range(requests))  # shared: every client takes the next request from it

    async def one_client(auth: dict[str, str]) -> list[Reply]:
        return [await ask(client, base_url, auth, question) for _ in pending]

    meter = CpuMeter(process_ids(fleet))
    started = time.perf_counter()
    batches = await asyncio.gather(*(one_client(auth) for auth in auths))
    seconds = time.perf_counter() - started
    cpu = meter.read(seconds)
    upstream: int = (await fleet.emulator.stats())["totals"]["requests"]
    replies = [reply for batch in batches for reply in batch]
    return HitLoad(replies, len(auths), seconds, upstream, cpu)


def process_ids(fleet: Fleet) -> dict[str, int]:
    """The API process, the worker (last of the fleet's processes) and this load generator."""
    return {
        "api": fleet.apis[0].process.pid,
        "worker": fleet.processes[-1].pid,
        "client": os.getpid(),
    }


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def chat_calls(stats: dict[str, Any]) -> dict[str, int]:
    return {
        series["model"]: series["totals"]["requests"]
        for series in stats["series"]
        if series["kind"] == "chat"
    }


async def answer_sources(resources: Resources, replies: Sequence[Reply]) -> dict[str, int]:
    """How many of the stored answers have each audit `source` (pipeline, shared, cache...)."""
    ids = [uuid.UUID(reply.done.message_id) for reply in replies]
    query = select(col(Message.audit)).where(col(Message.id).in_(ids))
    async with resources.sessionmaker() as db:
        audits = (await db.scalars(query)).all()
    counts = Counter(str(audit.get("source")) for audit in audits)
    return {source.value: counts[source.value] for source in AnswerSource} | dict(counts)


async def single_flight(
    fleet: Fleet,
    resources: Resources,
    client: httpx.AsyncClient,
    auths: Sequence[dict[str, str]],
    question: str,
) -> Flight:
    """Every session asks the same new question at once; the emulator counts what reached it."""
    base_url = fleet.apis[0].base_url
    await fleet.emulator.reset()
    replies = list(await asyncio.gather(*(ask(client, base_url, a, question) for a in auths)))
    stats = await fleet.emulator.stats()
    sources = await answer_sources(resources, replies)
    return Flight(replies, chat_calls(stats), stats["totals"]["requests"], sources)


async def measure(fleet: Fleet, plan: Plan, run_id: str) -> Results:
    base_url = fleet.apis[0].base_url
    questions = unique_questions(run_id, WARMUP_QUESTIONS + plan.questions + 1)
    warmup, timed, fresh = (
        questions[:WARMUP_QUESTIONS], questions[WARMUP_QUESTIONS:-1], questions[-1]
    )  # fmt: skip
    clients = max(plan.hit_clients, plan.flight_requests)
    limits = httpx.Limits(max_connections=clients + 10, keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    async with (
        asyncio.timeout(MEASURE_TIMEOUT_SECONDS),
        open_resources(fleet.settings) as resources,
        httpx.AsyncClient(timeout=60, limits=limits) as client,
    ):
        await prepare_knowledge(resources)
        auths = await sessions(client, base_url, clients)
        await miss_then_hit(client, base_url, auths[0], warmup)
        miss, hit = await miss_then_hit(client, base_url, auths[0], timed)
        load = await hit_load(fleet, client, auths[: plan.hit_clients], timed[0], plan.hit_requests)
        flight = await single_flight(fleet, resources, client, auths[: plan.flight_requests], fresh)
        return Results(miss, hit, load, flight, await fleet.emulator.config())


def fleet_plan(plan: Plan) -> FleetPlan:
    emulator = EmulatorConfig(ttft_ms=plan.ttft_ms, tokens_per_second=plan.tokens_per_second)
    return FleetPlan(workers=1, apis=API_PROCESSES, emulator=emulator)


def service_settings(fleet: Fleet) -> dict[str, Any]:
    """The API and worker settings this benchmark depends on (from the same environment)."""
    settings = fleet.settings
    return {
        "response_cache_ttl_seconds": settings.response_cache_ttl_seconds,
        "single_flight_lease_seconds": settings.single_flight_lease_seconds,
        "single_flight_idle_seconds": settings.single_flight_idle_seconds,
        "worker_max_jobs": settings.worker_max_jobs,
        "token_flush_interval_ms": settings.token_flush_interval_ms,
        "draft_model": settings.groq_draft_model,
        "small_model": settings.groq_small_model,
    }


def run(plan: Plan) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    with measured_run() as run_info, running_fleet(fleet_plan(plan)) as fleet:
        results = asyncio.run(measure(fleet, plan, run_id))
        settings = service_settings(fleet)
    report = build_report(plan, results, settings, {"id": run_id, **run_info})
    publish("cache", report, markdown(report))
    plot(results)
    return report


def describe(replies: Sequence[Reply]) -> dict[str, Any]:
    return {
        "requests": len(replies),
        "ttft_ms": summary([reply.ttft_ms for reply in replies]),
        "total_ms": summary([reply.total_ms for reply in replies]),
        "cached": cached_counts(replies),
    }


def cached_counts(replies: Sequence[Reply]) -> dict[str, int]:
    """How many `done` events said `cached: true` / `cached: false`."""
    counts = Counter(str(reply.done.cached).lower() for reply in replies)
    return {"true": counts["true"], "false": counts["false"]}


def describe_load(load: HitLoad) -> dict[str, Any]:
    return describe(load.replies) | {
        "api_processes": API_PROCESSES,
        "clients": load.clients,
        "seconds": round(load.seconds, 2),
        "answers_per_second": round(load.per_second, 1),
        "upstream_requests": load.upstream_requests,
        "cpu_share": load.cpu.shares,
        "machine_busy": load.cpu.machine_busy,
    }


def describe_flight(flight: Flight, settings: dict[str, Any]) -> dict[str, Any]:
    answers = {reply.done.answer for reply in flight.replies}
    return describe(flight.replies) | {
        "draft_model_calls": flight.chat_calls.get(settings["draft_model"], 0),
        "small_model_calls": flight.chat_calls.get(settings["small_model"], 0),
        "chat_calls": flight.chat_calls,
        "upstream_requests": flight.upstream_requests,
        "sources": flight.sources,
        "distinct_answers": len(answers),
        "answer_words": len(next(iter(answers)).split()),
        "streamed_equals_answer": sum(
            reply.streamed.split() == reply.done.answer.split() for reply in flight.replies
        ),
    }


def ratios(hit: dict[str, Any], miss: dict[str, Any]) -> dict[str, float]:
    """Hit TTFT over miss TTFT, per percentile."""
    return {p: round(hit["ttft_ms"][p] / miss["ttft_ms"][p], 4) for p in miss["ttft_ms"]}


def build_report(
    plan: Plan, results: Results, settings: dict[str, Any], run_info: dict[str, Any]
) -> dict[str, Any]:
    miss, hit = describe(results.miss), describe(results.hit)
    return {
        "benchmark": "cache",
        "machine": machine(),
        "run": run_info,
        "plan": asdict(plan),
        "emulator": results.emulator.model_dump(mode="json"),
        "settings": settings,
        "results": {
            "miss": miss,
            "hit": hit,
            "hit_over_miss_ttft": ratios(hit, miss),
            "hit_load": describe_load(results.load),
            "single_flight": describe_flight(results.flight, settings),
        },
        "samples": {
            name: [sample(reply) for reply in replies]
            for name, replies in samples_by_name(results).items()
        },
    }


def sample(reply: Reply) -> dict[str, Any]:
    """A reply's client-side times, and the worker's `done.timings` (queue, pipeline)."""
    return {
        "ttft_ms": round(reply.ttft_ms, 3),
        "total_ms": round(reply.total_ms, 3),
        "cached": reply.done.cached,
        "worker_timings": reply.done.timings.model_dump(),
    }


def samples_by_name(results: Results) -> dict[str, list[Reply]]:
    return {
        "miss": results.miss,
        "hit": results.hit,
        "hit_load": results.load.replies,
        "single_flight": results.flight.replies,
    }


def ttft_row(name: str, kind: dict[str, Any]) -> list[Any]:
    cached = f"{kind['cached']['false']} false, {kind['cached']['true']} true"
    ttft, total = kind["ttft_ms"], kind["total_ms"]
    return [name, kind["requests"], ttft["p50"], ttft["p95"], total["p50"], cached]


def ttft_table(results: dict[str, Any]) -> str:
    ratio = results["hit_over_miss_ttft"]
    rows = [
        ttft_row("miss (first ask)", results["miss"]),
        ttft_row("hit (asked again)", results["hit"]),
        ["hit / miss", "", ratio["p50"], ratio["p95"], "", ""],
    ]
    header = ["ask", "requests", "TTFT p50 ms", "TTFT p95 ms", "answer p50 ms", "done.cached"]
    return markdown_table(header, rows)


def load_table(load: dict[str, Any]) -> str:
    cpu = " / ".join(f"{share:.0%}" for share in load["cpu_share"].values())
    cpu += f" ({load['machine_busy']:.0%})"
    header = [
        "API processes", "clients", "requests", "hits/s", "TTFT p50 ms", "TTFT p95 ms",
        "done.cached true", "upstream requests", "CPU API / worker / client (machine busy)",
    ]  # fmt: skip
    row = [
        load["api_processes"], load["clients"], load["requests"], load["answers_per_second"],
        load["ttft_ms"]["p50"], load["ttft_ms"]["p95"], load["cached"]["true"],
        load["upstream_requests"], cpu,
    ]  # fmt: skip
    return markdown_table(header, [row])


def flight_table(flight: dict[str, Any]) -> str:
    sources = flight["sources"]
    header = [
        "identical concurrent requests", "draft model calls", "small model calls",
        "upstream requests (all kinds)", "source pipeline / shared / cache", "distinct answers",
        "streamed text = answer",
    ]  # fmt: skip
    row = [
        flight["requests"], flight["draft_model_calls"], flight["small_model_calls"],
        flight["upstream_requests"],
        f"{sources.get('pipeline', 0)} / {sources.get('shared', 0)} / {sources.get('cache', 0)}",
        flight["distinct_answers"], f"{flight['streamed_equals_answer']} of {flight['requests']}",
    ]  # fmt: skip
    return markdown_table(header, [row])


def tables(report: dict[str, Any]) -> str:
    results = report["results"]
    return "\n\n".join(
        [
            ttft_table(results),
            load_table(results["hit_load"]),
            flight_table(results["single_flight"]),
        ]
    )


def markdown(report: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Response cache and single flight",
            "",
            *how_measured(report),
            "",
            tables(report),
            "",
            *reading(report),
            "",
        ]
    )


def how_measured(report: dict[str, Any]) -> list[str]:
    meta, run_info = report["machine"], report["run"]
    emulator, settings = report["emulator"], report["settings"]
    return [
        f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), Python "
        f"{meta['python']}, by `python scripts/bench.py cache` in {run_info['seconds']} s "
        "(raw samples in `cache.json`, plot in `cache.png`).",
        "",
        f"One API process and one worker (`WORKER_MAX_JOBS` {settings['worker_max_jobs']}), "
        "embedded Redis and Postgres in a fresh data directory, every provider pointed at the "
        f"emulator: {emulator['ttft_ms']:g} ms to the first token of every chat request, "
        f"{emulator['tokens_per_second']:g} tokens/s after it, {emulator['completion_tokens']} "
        f"tokens a draft; draft model `{settings['draft_model']}`, review model "
        f"`{settings['small_model']}`. Response cache on with its default TTL "
        f"({settings['response_cache_ttl_seconds']} s); single-flight lease "
        f"{settings['single_flight_lease_seconds']:g} s.",
        "",
        load_note(run_info),
    ]


def load_note(run_info: dict[str, Any]) -> str:
    before = run_info["load_average_before"]
    if before < BUSY_LOAD:
        return f"The machine was quiet when the run started (1-minute load average {before})."
    return (
        f"**The machine was busy when the run started** (1-minute load average {before}): "
        "another job (e.g. another benchmark or a test run) shared the CPUs, so the "
        "latencies and hits/s here are pessimistic."
    )


def reading(report: dict[str, Any]) -> list[str]:
    plan = report["plan"]
    return [
        f"- *miss / hit*: {plan['questions']} questions unique to this run (tagged with run id "
        f"`{report['run']['id']}`), after {WARMUP_QUESTIONS} warm-up questions; each is asked "
        "once (a miss: retrieval, rerank, the streamed draft and the review) and at once again "
        "(a hit), one request at a time. TTFT is from sending `POST /v1/chat` with "
        "`Accept: text/event-stream` to the first `token` event; *answer* is to the `done` event. "
        "`done.cached` is what the `done` event said.",
        f"- *hits/s*: {plan['hit_clients']} clients in a closed loop (each asks again as soon as "
        f"its answer is done) ask the first of those questions, cached, {plan['hit_requests']} "
        "times in all, each time in a new conversation (answers that used a conversation's "
        "history are never cached). A hit still goes through admission, the queue, the worker, "
        "the job's event stream and the SSE relay: the product path. *upstream requests* is "
        "everything the emulator received during that phase; *CPU* is the CPU time each "
        "process used per second of it (100 % = one core): the API process, the worker and "
        "this benchmark's own clients, all on the same cores; *machine busy* the share "
        "of all cores' time that was not idle, whoever used it (100 % means the machine, not "
        "one process, was the limit).",
        f"- *single flight*: {plan['flight_requests']} sessions send the same new question at "
        "once. *draft/small model calls* are the chat requests the emulator received for that "
        "run, per model (one answer is one streamed draft on the draft model plus one review "
        "on the small model). *source* is the answers' audit record in Postgres: *pipeline* "
        "answered it, *shared* relayed the leader's stream while it was being answered, "
        "*cache* came from the cache after the leader stored it (the worker runs at most "
        "`WORKER_MAX_JOBS` jobs at once; the rest are picked up later). *distinct answers* "
        "compares the `done.answer` of all of them; *streamed text = answer* the tokens each "
        "client received (after the last `reset`) with its `done.answer`.",
    ]


def plot(results: Results) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (ttft_axis, flight_axis) = plt.subplots(1, 2, figsize=(12, 4.5))
    load = results.load
    for label, replies in (
        ("miss (first ask)", results.miss),
        ("hit (asked again)", results.hit),
        (f"hit, {load.clients} clients asking {len(load.replies)} times", load.replies),
    ):
        ordered = sorted(reply.ttft_ms for reply in replies)
        ttft_axis.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
    ttft_axis.set_xscale("log")
    ttft_axis.set_xlabel("time to first token, ms")
    ttft_axis.set_ylabel("fraction of requests")
    ttft_axis.set_title("Time to first token, cache hit vs miss")
    ttft_axis.grid(True, alpha=0.3)
    ttft_axis.legend()
    flight = results.flight
    names = [
        *(f"chat: {model}" for model in flight.chat_calls),
        *(f"answers: {s}" for s in flight.sources),
    ]
    counts = [*flight.chat_calls.values(), *flight.sources.values()]
    bars = flight_axis.barh(names, counts)
    flight_axis.bar_label(bars)
    flight_axis.set_title(f"{len(flight.replies)} identical concurrent questions")
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "cache.png", dpi=120)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Plan()
    parser.add_argument("--questions", type=int, default=defaults.questions)
    parser.add_argument("--hit-requests", type=int, default=defaults.hit_requests)
    parser.add_argument("--hit-clients", type=int, default=defaults.hit_clients)
    parser.add_argument("--flight-requests", type=int, default=defaults.flight_requests)
    parser.add_argument("--ttft-ms", type=float, default=defaults.ttft_ms)
    parser.add_argument("--tokens-per-second", type=float, default=defaults.tokens_per_second)


def run_from_args(args: argparse.Namespace) -> str:
    plan = Plan(
        questions=args.questions,
        hit_requests=args.hit_requests,
        hit_clients=args.hit_clients,
        flight_requests=args.flight_requests,
        ttft_ms=args.ttft_ms,
        tokens_per_second=args.tokens_per_second,
    )
    return tables(run(plan))
