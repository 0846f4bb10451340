"""`scripts/bench.py faults`: answers survive provider faults.

A local fleet (1 API, 2 workers) answers chat jobs with every provider on the emulator: Groq
draft (70b → 8b → OpenAI) and review models, OpenAI embeddings, Cohere rerank and Pinecone
(loaded with the knowledge base through the product's own `PineconeStore.upsert`). One run
measures a phase without faults (the baseline) and a phase where 30 % of all provider requests
fail: 10 % 429 with `Retry-After`, 10 % 500, 10 % held past the client's timeout.

Every job's event stream is checked: it ended with `done`, the tokens after its last `reset`
are exactly `done.answer`, and the answer is whole: the emulator's draft is
`completion_tokens` words ending with a full stop, and the review echoes it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from redis.asyncio import Redis
from sqlmodel import col, select

from bench.fleet import (
    BENCH_KEY,
    Fleet,
    FleetPlan,
    prepare_knowledge,
    running_fleet,
    start_emulator,
    submit_many,
)
from bench.overhead import QUESTIONS
from bench.report import BENCHMARKS_DIR, machine, markdown_table, write_json
from bench.stats import summary
from emulator import EmulatorConfig, RunningEmulator
from izana.processes import stop_all
from shared.config import Settings
from shared.db.models import KnowledgePassage, Message, Role
from shared.events import (
    EventType,
    StreamEvent,
    parse_entry,
    read_after,
    stream_key,
    streamed_answer,
)
from shared.jobs import JobRecord, JobStatus
from shared.providers.llm.generated import RESTART_REASON
from shared.providers.vectorstore.base import Passage
from shared.providers.vectorstore.pinecone import PineconeStore
from shared.rag.assembly import build_providers
from shared.resilience.guard import STATS_KEY
from shared.resources import Resources, open_resources

COMPLETION_WORDS = 40
EMBEDDING_DIMENSIONS = 256
EMULATOR = EmulatorConfig(
    completion_tokens=COMPLETION_WORDS,
    embedding_dimensions=EMBEDDING_DIMENSIONS,
    ttft_ms=100,
    tokens_per_second=200,
)
EMULATOR_SHOWN = {"completion_tokens", "embedding_dimensions", "ttft_ms", "tokens_per_second"}
PROVIDER_TIMEOUT_SECONDS = 2.0
FAULTS: dict[str, float] = {"rate_429": 0.10, "rate_500": 0.10, "rate_timeout": 0.10}
NO_FAULTS: dict[str, float] = dict.fromkeys(FAULTS, 0.0)
# A 429 asks for a one-second wait; a held request answers long after the client gave up.
FAULT_SHAPE: dict[str, float] = {"retry_after_seconds": 1, "hang_seconds": 10.0}
TARGET_SHARE = 0.999
# Every job ends within its deadline (120 s from enqueue by default); this is a backstop.
JOB_WAIT_SECONDS = 300.0
STREAM_BLOCK_MS = 5000
EVENTS_READ_LIMIT = 100_000
COUNTERS = ("retries", "fallbacks", "cooldowns", "breaker_opened")
FAULT_OUTCOMES = ("429", "500", "timeout")

FULL = "complete_full"
TRUNCATED = "truncated"
MISMATCH = "stream_mismatch"
NOT_FINISHED = "not_finished"
JOB_RETRY_REASON = "retry"  # the reset a worker sends before it runs a job again


@dataclass(frozen=True)
class Plan:
    jobs: int
    baseline_jobs: int
    workers: int
    in_flight: int  # jobs submitted and not yet ended, at most


@dataclass(frozen=True)
class Phase:
    name: str
    rates: dict[str, float]
    jobs: int


@dataclass(frozen=True)
class Emulators:
    """The fleet's emulator (chat, embeddings, rerank) and the one serving Pinecone."""

    providers: RunningEmulator
    pinecone: RunningEmulator

    @property
    def both(self) -> tuple[RunningEmulator, RunningEmulator]:
        return self.providers, self.pinecone


# --- the fleet -------------------------------------------------------------------------------


@contextmanager
def pinecone_emulator() -> Iterator[RunningEmulator]:
    """A second emulator for Pinecone: the fleet's own URL is known only once it runs, after
    the API and worker environments were fixed."""
    process, url = start_emulator(EMULATOR)
    try:
        yield RunningEmulator(url)
    finally:
        stop_all([process], 10)


def fleet_env(pinecone_url: str) -> dict[str, str]:
    return {
        "PINECONE_API_KEY": BENCH_KEY,
        "PINECONE_INDEX_HOST": pinecone_url,
        "EMBEDDING_DIMENSIONS": str(EMBEDDING_DIMENSIONS),
        "PROVIDER_TIMEOUT_SECONDS": str(PROVIDER_TIMEOUT_SECONDS),
        # Every job must reach the providers: no answer from the cache.
        "RESPONSE_CACHE_TTL_SECONDS": "0",
    }


def bench_settings(fleet: Fleet, pinecone_url: str) -> Settings:
    """This process's settings: the fleet's stores and the same embeddings and Pinecone."""
    return fleet.settings.model_copy(
        update={
            "openai_api_key": SecretStr(BENCH_KEY),
            "openai_base_url": f"{fleet.emulator.url}/v1",
            "pinecone_api_key": SecretStr(BENCH_KEY),
            "pinecone_index_host": pinecone_url,
            "embedding_dimensions": EMBEDDING_DIMENSIONS,
        }
    )


def _passage(row: KnowledgePassage) -> Passage:
    return Passage(
        id=row.id, title=row.title, question=row.question, body=row.body, source=row.source,
        url=row.url, category=row.category, question_type=row.question_type, score=0.0,
    )  # fmt: skip


async def load_pinecone(resources: Resources) -> int:
    """The knowledge base into Pinecone, one namespace per category; the vectors stored."""
    store = build_providers(resources).store
    if not isinstance(store, PineconeStore):
        raise RuntimeError(f"expected the Pinecone store, got {store.name}")
    await prepare_knowledge(resources)
    async with resources.sessionmaker() as session:
        rows = (await session.scalars(select(KnowledgePassage))).all()
    by_category: dict[str, list[Passage]] = {}
    for row in rows:
        by_category.setdefault(row.category, []).append(_passage(row))
    for category, passages in by_category.items():
        await store.upsert(passages, category)
    return await store.count()


# --- one phase -------------------------------------------------------------------------------


def questions(tag: str, count: int) -> list[str]:
    """Distinct questions, so that no embedding comes from the cache of an earlier job."""
    return [f"{QUESTIONS[i % len(QUESTIONS)]} (case {tag}-{i})" for i in range(count)]


async def emulator_totals(emulators: Emulators) -> Counter[tuple[str, str, str]]:
    """(kind, model, outcome or "requests") → count, over both emulators."""
    totals: Counter[tuple[str, str, str]] = Counter()
    for emulator in emulators.both:
        for series in (await emulator.stats())["series"]:
            kind, model = series["kind"], series["model"]
            totals[kind, model, "requests"] += series["totals"]["requests"]
            for outcome, count in series["totals"]["outcomes"].items():
                totals[kind, model, outcome] += count
    return totals


async def fleet_counters(resources: Resources) -> Counter[str]:
    values: dict[str, str] = await resources.redis.hgetall(STATS_KEY)  # type: ignore[misc]
    return Counter({name: int(value) for name, value in values.items()})


def is_full(answer: str) -> bool:
    return len(answer.split()) == COMPLETION_WORDS and answer.endswith(".")


def job_outcome(events: list[StreamEvent]) -> str:
    if not events or not events[-1].is_terminal:
        return NOT_FINISHED
    last = events[-1].payload()
    if events[-1].type is EventType.ERROR:
        return f"failed:{last['code']}"
    if not is_full(last["answer"]):
        return TRUNCATED
    return FULL if streamed_answer(events) == last["answer"] else MISMATCH


def reset_reasons(events: list[StreamEvent]) -> Counter[str]:
    return Counter(e.payload()["reason"] for e in events if e.type is EventType.RESET)


def done_timings(events: list[StreamEvent]) -> dict[str, float] | None:
    """`done.timings`: queue_ms, retrieval_ms, ttft_ms, total_ms of the answering attempt."""
    done = [e for e in events if e.type is EventType.DONE]
    return dict(done[0].payload()["timings"]) if done else None


def end_to_end_ms(record: JobRecord | None) -> float | None:
    if record is None or record.status is not JobStatus.COMPLETE or not record.finished_at_ms:
        return None
    return float(record.finished_at_ms - record.created_at_ms)


async def audits(resources: Resources, job_ids: list[str]) -> list[dict[str, Any]]:
    """The audit records of the answers these jobs stored."""
    query = select(col(Message.audit)).where(
        col(Message.job_id).in_(job_ids), col(Message.role) == Role.ASSISTANT.value
    )
    async with resources.sessionmaker() as session:
        return list((await session.scalars(query)).all())


def audit_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    retries_by_role: Counter[str] = Counter()
    for record in records:
        for call in record.get("calls", []):
            retries_by_role[call["role"]] += int(call["attempts"]) - 1
    return {
        "messages": len(records),
        "retries_total": sum(int(r.get("retries", 0)) for r in records),
        "retries_per_job": _histogram(int(r.get("retries", 0)) for r in records),
        "fallbacks_per_job": _histogram(len(r.get("fallbacks", [])) for r in records),
        "fallback_models": dict(Counter(m for r in records for m in r.get("fallbacks", []))),
        "retries_by_role": dict(retries_by_role),
    }


def _histogram(values: Iterable[int]) -> dict[str, int]:
    return {str(value): count for value, count in sorted(Counter(values).items())}


def by_kind(totals: Counter[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    kinds: dict[str, Counter[str]] = {}
    for (kind, _, outcome), count in totals.items():
        kinds.setdefault(kind, Counter())[outcome] += count
    return {kind: {k: v for k, v in sorted(c.items()) if v} for kind, c in sorted(kinds.items())}


def chat_requests(totals: Counter[tuple[str, str, str]]) -> dict[str, int]:
    return {
        model: count
        for (kind, model, what), count in sorted(totals.items())
        if kind == "chat" and what == "requests" and count
    }


async def until_ended(redis: Redis, job_id: str) -> None:
    """Block until the job's event stream holds its `done` or `error` event."""
    last_id = "0-0"
    while True:
        reply = await redis.xread({stream_key(job_id): last_id}, block=STREAM_BLOCK_MS)
        for entry_id, fields in reply[0][1] if reply else []:
            if parse_entry(entry_id, fields).is_terminal:
                return
            last_id = entry_id


async def run_jobs(
    fleet: Fleet, resources: Resources, messages: list[str], in_flight: int
) -> list[str]:
    """Submit every message through the API with at most `in_flight` jobs unfinished (a
    closed loop: the queue never holds more than the workers can start), each to its end."""

    async def until_done(job_id: str) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(JOB_WAIT_SECONDS):
                await until_ended(resources.redis, job_id)

    return await submit_many(fleet, messages, in_flight, hold=until_done)


@dataclass(frozen=True)
class PhaseRun:
    phase: Phase
    job_ids: list[str]
    seconds: float
    events: list[list[StreamEvent]]
    records: dict[str, JobRecord | None]
    audits: list[dict[str, Any]]
    emulator: Counter[tuple[str, str, str]]
    counters: Counter[str]


async def run_phase(
    fleet: Fleet, emulators: Emulators, resources: Resources, phase: Phase, in_flight: int
) -> PhaseRun:
    for emulator in emulators.both:
        await emulator.configure(**phase.rates)
    emulator_before = await emulator_totals(emulators)
    counters_before = await fleet_counters(resources)
    started = time.monotonic()
    messages = questions(secrets.token_hex(4), phase.jobs)
    job_ids = await run_jobs(fleet, resources, messages, in_flight)
    seconds = time.monotonic() - started
    events = await asyncio.gather(
        *(read_after(resources.redis, job_id, "0-0", EVENTS_READ_LIMIT) for job_id in job_ids)
    )
    records = await asyncio.gather(*(resources.jobs.get(job_id) for job_id in job_ids))
    return PhaseRun(
        phase=phase, job_ids=job_ids, seconds=seconds, events=list(events),
        records=dict(zip(job_ids, records, strict=True)),
        audits=await audits(resources, job_ids),
        emulator=await emulator_totals(emulators) - emulator_before,
        counters=await fleet_counters(resources) - counters_before,
    )  # fmt: skip


def describe(run: PhaseRun) -> dict[str, Any]:
    outcomes = Counter(job_outcome(events) for events in run.events)
    resets = sum((reset_reasons(events) for events in run.events), Counter[str]())
    timings = [t for t in map(done_timings, run.events) if t is not None]
    pipeline = [t["total_ms"] for t in timings]
    end_to_end = [ms for ms in (end_to_end_ms(run.records[j]) for j in run.job_ids) if ms]
    jobs = len(run.job_ids)
    return {
        "name": run.phase.name,
        "fault_rates": run.phase.rates,
        "jobs": jobs,
        "seconds": round(run.seconds, 1),
        "outcomes": dict(sorted(outcomes.items())),
        "complete_full_share": outcomes[FULL] / jobs,
        "emulator_by_kind": by_kind(run.emulator),
        "emulator_chat_requests": chat_requests(run.emulator),
        "fleet_counters": {name: run.counters[name] for name in COUNTERS},
        "audit": audit_summary(run.audits),
        "reset_reasons": dict(sorted(resets.items())),
        "jobs_retried": sum(1 for e in run.events if reset_reasons(e)[JOB_RETRY_REASON]),
        "latency_ms": {
            "pipeline_total": summary(pipeline) if pipeline else {},
            **{
                f"pipeline_{name}": summary([t[f"{name}_ms"] for t in timings]) if timings else {}
                for name in ("retrieval", "ttft")
            },
            "end_to_end": summary(end_to_end) if end_to_end else {},
        },
        "samples": {"pipeline_total_ms": pipeline, "end_to_end_ms": end_to_end},
    }


# --- the run ---------------------------------------------------------------------------------


async def measure(
    fleet: Fleet, emulators: Emulators, plan: Plan
) -> tuple[int, list[dict[str, Any]]]:
    """The Pinecone vectors loaded, and each phase described."""
    async with open_resources(bench_settings(fleet, emulators.pinecone.url)) as resources:
        vectors = await load_pinecone(resources)
        for emulator in emulators.both:
            await emulator.configure(**FAULT_SHAPE)
        phases = [
            Phase("no faults", NO_FAULTS, plan.baseline_jobs),
            Phase("30 % faults", FAULTS, plan.jobs),
        ]
        described = [
            describe(await run_phase(fleet, emulators, resources, phase, plan.in_flight))
            for phase in phases
        ]
        return vectors, described


def run(plan: Plan) -> dict[str, Any]:
    started = time.monotonic()
    with pinecone_emulator() as pinecone:
        fleet_plan = FleetPlan(
            workers=plan.workers, apis=1, emulator=EMULATOR, env=fleet_env(pinecone.url)
        )
        with running_fleet(fleet_plan) as fleet:
            emulators = Emulators(fleet.emulator, pinecone)
            vectors, phases = asyncio.run(measure(fleet, emulators, plan))
    report = {
        "benchmark": "faults",
        "machine": machine(),
        "settings": settings_report(plan),
        "pinecone_vectors": vectors,
        "target_complete_full_share": TARGET_SHARE,
        "passed": phases[-1]["complete_full_share"] >= TARGET_SHARE,
        "phases": phases,
        "duration_seconds": round(time.monotonic() - started, 1),
    }
    write_json("faults", report)
    plot(phases)
    (BENCHMARKS_DIR / "faults.md").write_text(markdown(report))
    return report


def settings_report(plan: Plan) -> dict[str, Any]:
    return {
        "jobs": plan.jobs,
        "baseline_jobs": plan.baseline_jobs,
        "workers": plan.workers,
        "in_flight": plan.in_flight,
        "apis": 1,
        "emulator": EMULATOR.model_dump(mode="json", include=EMULATOR_SHOWN),
        "faults": {**FAULTS, **FAULT_SHAPE},
        "fleet_env": fleet_env("<pinecone emulator>") | {"PINECONE_API_KEY": "<any>"},
    }


# --- tables, report and plot -----------------------------------------------------------------

ANSWERS_HEADER = [
    "phase", "jobs", "complete & full", "truncated", "stream mismatch", "failed",
    "not finished", "full share", "wall s", "pipeline p50 / p95 ms", "end-to-end p50 / p95 ms",
]  # fmt: skip
RESILIENCE_HEADER = [
    "phase", "provider requests", "429", "500", "timeout", "retries", "fallbacks", "cooldowns",
    "breakers opened", "jobs re-run (attempts)", "stream restarts",
]  # fmt: skip


def _p50_p95(latency: dict[str, float]) -> str:
    return f"{latency['p50']:.0f} / {latency['p95']:.0f}" if latency else "-"


def answers_row(phase: dict[str, Any]) -> list[Any]:
    outcomes = phase["outcomes"]
    return [
        phase["name"], phase["jobs"], outcomes.get(FULL, 0), outcomes.get(TRUNCATED, 0),
        outcomes.get(MISMATCH, 0), sum(failures(outcomes).values()), outcomes.get(NOT_FINISHED, 0),
        f"{phase['complete_full_share']:.2%}", phase["seconds"],
        _p50_p95(phase["latency_ms"]["pipeline_total"]),
        _p50_p95(phase["latency_ms"]["end_to_end"]),
    ]  # fmt: skip


def resilience_row(phase: dict[str, Any]) -> list[Any]:
    kinds = phase["emulator_by_kind"].values()
    faults = [sum(kind.get(outcome, 0) for kind in kinds) for outcome in FAULT_OUTCOMES]
    counters, resets = phase["fleet_counters"], phase["reset_reasons"]
    return [
        phase["name"], sum(kind["requests"] for kind in kinds), *faults,
        *(counters[name] for name in COUNTERS),
        f"{phase['jobs_retried']} ({resets.get(JOB_RETRY_REASON, 0)})",
        resets.get(RESTART_REASON, 0),
    ]  # fmt: skip


def latency_ratio(phases: list[dict[str, Any]], latency: str) -> str:
    baseline, faulty = (phase["latency_ms"][latency] for phase in phases)
    if not baseline or not faulty:
        return f"{latency} latency with faults / without: not available"
    return (
        f"{latency} latency with faults / without: p50 x{faulty['p50'] / baseline['p50']:.2f}, "
        f"p95 x{faulty['p95'] / baseline['p95']:.2f}"
    )


def tables(report: dict[str, Any]) -> str:
    phases = report["phases"]
    verdict = "PASS" if report["passed"] else "FAIL"
    return "\n\n".join(
        [
            markdown_table(ANSWERS_HEADER, [answers_row(p) for p in phases]),
            markdown_table(RESILIENCE_HEADER, [resilience_row(p) for p in phases]),
            latency_ratio(phases, "pipeline_total"),
            latency_ratio(phases, "end_to_end"),
            f"target: ≥ {TARGET_SHARE:.1%} complete & full with faults: {verdict}",
        ]
    )


LATENCIES = ("pipeline_retrieval", "pipeline_ttft", "pipeline_total", "end_to_end")


def latency_table(phases: list[dict[str, Any]]) -> str:
    header = ["phase", *(f"{name} p50 / p95 ms" for name in LATENCIES)]
    rows = [[p["name"], *(_p50_p95(p["latency_ms"][name]) for name in LATENCIES)] for p in phases]
    return markdown_table(header, rows)


def kinds_table(phase: dict[str, Any]) -> str:
    columns = ["requests", "ok", *FAULT_OUTCOMES]
    rows = [
        [kind, *(counts.get(column, 0) for column in columns)]
        for kind, counts in phase["emulator_by_kind"].items()
    ]
    return markdown_table(["endpoint kind", *columns], rows)


def audit_table(phase: dict[str, Any]) -> str:
    audit = phase["audit"]
    rows = [
        ["answers audited", audit["messages"]],
        ["retries recorded in those answers", audit["retries_total"]],
        ["retries per answer (retries: answers)", _pairs(audit["retries_per_job"])],
        ["fallbacks per answer (fallbacks: answers)", _pairs(audit["fallbacks_per_job"])],
        ["fallback models", _pairs(audit["fallback_models"])],
        ["retries by role", _pairs(audit["retries_by_role"])],
        ["chat requests by model", _pairs(phase["emulator_chat_requests"])],
        ["failed jobs by error code", _pairs(failures(phase["outcomes"]))],
        ["reset events by reason", _pairs(phase["reset_reasons"])],
    ]
    return markdown_table(["what (30 % faults)", "measured"], rows)


def failures(outcomes: dict[str, int]) -> dict[str, int]:
    return {k.split(":", 1)[1]: v for k, v in outcomes.items() if k.startswith("failed:")}


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in counts.items()) or "none"


def markdown(report: dict[str, Any]) -> str:
    meta, settings, faulty = report["machine"], report["settings"], report["phases"][-1]
    return "\n".join(
        [
            "# Provider faults: do answers survive 30 % failed provider requests?",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), "
            f"Python {meta['python']}, by `python scripts/bench.py faults --jobs "
            f"{settings['jobs']} --baseline-jobs {settings['baseline_jobs']}` in "
            f"{report['duration_seconds']:.0f} s (raw samples in `faults.json`, plot in "
            "`faults.png`).",
            "",
            tables(report),
            "",
            "## Latency of completed jobs",
            "",
            latency_table(report["phases"]),
            "",
            "## Provider requests the emulators answered (30 % faults phase)",
            "",
            kinds_table(faulty),
            "",
            "## What the answers went through (30 % faults phase)",
            "",
            audit_table(faulty),
            "",
            *METHOD,
            "",
            "Settings: `" + json.dumps(settings, sort_keys=True) + "`",
            "",
        ]
    )


METHOD = [
    "## How it is measured",
    "",
    "- One run, one local fleet: embedded Redis and Postgres, 1 API and 2 worker processes, "
    "the provider emulator for Groq (draft `llama-3.3-70b-versatile` → `llama-3.1-8b-instant` "
    "→ OpenAI `gpt-4o-mini`; review on the 8b → OpenAI), OpenAI embeddings and Cohere rerank, "
    "and a second emulator for Pinecone (the fleet's own emulator URL is known only after the "
    "API and worker environments are fixed). The knowledge base is upserted into Pinecone "
    "through the product's `PineconeStore.upsert`, one namespace per category, before any "
    "fault is turned on. Response cache off; every question is distinct, so every job embeds, "
    "searches, reranks, drafts and reviews upstream. Job deadline, retries, breaker and "
    "backoff are the product's defaults; the provider timeout is 2 s.",
    "- Phases: first without faults (the baseline), then with faults on every endpoint of both "
    "emulators: each request draws once, 10 % get a 429 with `Retry-After: 1`, 10 % a 500, "
    "10 % are held 10 s before any byte (a client timeout). The jobs of a phase go through "
    "`POST /v1/chat` in a closed loop: at most `in_flight` of them submitted and not yet "
    "ended (by default every worker slot, 2 x 50), the next one submitted when one ends, so "
    "the fleet is kept busy but no job waits in the queue for a slot: the 120 s deadline "
    "(counted from enqueue) is spent on answering, not on a backlog the benchmark made.",
    "- Per job, from its Redis event stream: *complete & full* = it ended with `done`, the "
    "`token` texts after its last `reset` are exactly `done.answer`, and that answer has the "
    "emulator's full length (40 words, ending with a full stop; the review echoes the draft, "
    "and an answer kept from the draft after a failed review has the same length). "
    "*truncated* = `done` with a shorter answer; *stream mismatch* = a full answer whose "
    "streamed tokens differ; *failed* = an `error` event (codes below); *not finished* = "
    "neither `done` nor `error`.",
    "- *provider requests*, *429*, *500*, *timeout*: the emulators' own counters over the "
    "phase. *retries*, *fallbacks*, *cooldowns*, *breakers opened*: the fleet-wide counters in "
    "Redis (`izana:stats:providers`), read before and after the phase (*fallbacks* there "
    "counts the chat model chains only; a rerank answered by the lexical reranker shows in "
    "the audit). Per-answer retries and fallbacks come from the stored messages' audit (the "
    "attempt that answered; retries an SDK makes by itself, as Pinecone's, are in neither). "
    "*jobs re-run (attempts)*: jobs with a `reset` of reason `retry` (a whole job attempt run "
    "again after its providers failed for good) and how many such resets; *stream "
    "restarts*: `reset` with reason `provider_retry` (a retried or fallen-back draft whose "
    "earlier tokens had reached the stream).",
    "- Latency: *pipeline* = `done.timings` of the answering attempt: `retrieval_ms` (embed, "
    "search, rerank), `ttft_ms` (to the first draft token) and `total_ms` (to the reviewed "
    "answer); *end-to-end* = the job record's `finished_at_ms - created_at_ms`, "
    "queueing and earlier attempts included. The ratios compare the percentiles of the two "
    "phases.",
]


def plot(phases: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (bars, cdf) = plt.subplots(1, 2, figsize=(13, 4.5))
    kinds = phases[-1]["emulator_by_kind"]
    bottom = [0] * len(kinds)
    for outcome in ("ok", *FAULT_OUTCOMES):
        heights = [counts.get(outcome, 0) for counts in kinds.values()]
        bars.bar(list(kinds), heights, bottom=bottom, label=outcome)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    bars.set_title("provider requests by outcome (30 % faults)")
    bars.set_ylabel("requests")
    bars.legend()
    for phase in phases:
        for label, values in phase["samples"].items():
            ordered = sorted(values)
            fractions = [i / len(ordered) for i in range(1, len(ordered) + 1)]
            cdf.plot(ordered, fractions, label=f"{phase['name']}: {label}")
    cdf.set_title("job latency")
    cdf.set_xlabel("milliseconds")
    cdf.set_ylabel("fraction of completed jobs")
    cdf.set_xscale("log")
    cdf.grid(True, alpha=0.3)
    cdf.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "faults.png", dpi=120)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=1000, help="chat jobs with faults")
    parser.add_argument(
        "--baseline-jobs", type=int, default=None, help="chat jobs without faults (as --jobs)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=None,
        help="jobs submitted and not yet ended, at most (default: every worker slot, "
        "workers x WORKER_MAX_JOBS); --in-flight N >= --jobs submits all at once",
    )


def run_from_args(args: argparse.Namespace) -> str:
    baseline_jobs = args.baseline_jobs if args.baseline_jobs is not None else args.jobs
    in_flight = args.in_flight or args.workers * Settings().worker_max_jobs
    return tables(run(Plan(args.jobs, baseline_jobs, args.workers, in_flight)))
