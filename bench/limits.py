"""`scripts/bench.py limits`: the shared egress limits hold for a fleet of workers.

Worker processes answer queued chat jobs through the real Groq and Cohere SDK adapters, all
pointed at the provider emulator. The emulator enforces the same per-model limits a provider
would (a 429 `over_limit` for a request over them) and counts what it received per model and
second; every figure of the report comes from those counters. The egress limiter in Redis is
what must keep the fleet under the limits while using most of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.fleet import (
    Fleet,
    FleetPlan,
    prepare_knowledge,
    running_fleet,
    submit_many,
    wait_for_jobs,
)
from bench.overhead import QUESTIONS
from bench.report import BENCHMARKS_DIR, machine, markdown_table, write_json
from emulator import EmulatorConfig
from emulator.counters import WINDOW_SECONDS
from shared.config import Settings
from shared.jobs import TERMINAL_STATUSES, JobRecord
from shared.providers.factory import build_guard
from shared.resources import open_resources

if TYPE_CHECKING:
    from matplotlib.axes import Axes

EMULATOR_TTFT_MS = 200.0
EMULATOR_TOKENS_PER_SECOND = 100.0
TARGET_UTILISATION = 0.9
NO_BUCKET: dict[str, Any] = {"requests": 0, "tokens": 0, "outcomes": {}}


@dataclass(frozen=True)
class Plan:
    jobs: int
    workers: int
    rpm: int
    tpm: int
    timeout_seconds: float


@dataclass(frozen=True)
class Measured:
    jobs: dict[str, int]
    submit_seconds: float
    duration_seconds: float
    provider_events: dict[str, int]
    stats: dict[str, Any]  # the emulator's /_emulator/stats document


@dataclass(frozen=True)
class PerSecond:
    """One emulator series as dense lists, one entry per second from its first request."""

    first_second: int
    requests: list[int]
    tokens: list[int]
    over_limit: list[int]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=2000, help="chat jobs to queue")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--rpm", type=int, default=600, help="requests per minute per model")
    parser.add_argument("--tpm", type=int, default=100_000, help="tokens per minute per model")
    parser.add_argument(
        "--timeout-minutes", type=float, default=40.0, help="how long to wait for the jobs"
    )


def run_from_args(args: argparse.Namespace) -> str:
    plan = Plan(args.jobs, args.workers, args.rpm, args.tpm, args.timeout_minutes * 60)
    return summary(run(plan))


def limited_models(settings: Settings) -> list[str]:
    """Every model a job calls: the draft, the small review model and the reranker."""
    return [
        f"groq:{settings.groq_draft_model}",
        f"groq:{settings.groq_small_model}",
        f"cohere:{settings.cohere_rerank_model}",
    ]


def fleet_env(plan: Plan, models: list[str]) -> dict[str, str]:
    limit = {"requests_per_minute": plan.rpm, "tokens_per_minute": plan.tpm}
    return {
        "EGRESS_LIMITS": json.dumps(dict.fromkeys(models, limit)),
        "RESPONSE_CACHE_TTL_SECONDS": "0",  # every job must call the providers
        # Queued jobs wait for budget; none may run out of time before the benchmark does.
        "JOB_DEADLINE_SECONDS": str(int(plan.timeout_seconds)),
    }


def fleet_plan(plan: Plan, env: dict[str, str]) -> FleetPlan:
    emulator = EmulatorConfig(
        ttft_ms=EMULATOR_TTFT_MS,
        tokens_per_second=EMULATOR_TOKENS_PER_SECOND,
        rpm_limit=plan.rpm,
        tpm_limit=plan.tpm,
    )
    return FleetPlan(workers=plan.workers, apis=1, emulator=emulator, env=env)


def messages(count: int) -> list[str]:
    """Distinct questions, so that nothing could be answered from a cache."""
    return [f"{QUESTIONS[i % len(QUESTIONS)]} (question {i + 1})" for i in range(count)]


def run(plan: Plan) -> dict[str, Any]:
    settings = Settings()
    env = fleet_env(plan, limited_models(settings))
    with running_fleet(fleet_plan(plan, env)) as fleet:
        measured = asyncio.run(_measure(fleet, plan))
    report = build_report(plan, env, measured, settings)
    write_json("limits", report)
    (BENCHMARKS_DIR / "limits.md").write_text(markdown(report))
    _plot(report)
    return report


async def _measure(fleet: Fleet, plan: Plan) -> Measured:
    async with open_resources(fleet.settings) as resources:
        await prepare_knowledge(resources)
        started = time.monotonic()
        job_ids = await submit_many(fleet, messages(plan.jobs))
        submitted = time.monotonic()
        records = await wait_for_jobs(resources, job_ids, plan.timeout_seconds)
        duration = time.monotonic() - started
        events = await build_guard(resources.settings, resources.redis).stats()
    return Measured(
        jobs=job_counts(records, len(job_ids)),
        submit_seconds=round(submitted - started, 1),
        duration_seconds=round(duration, 1),
        provider_events=events,
        stats=await fleet.emulator.stats(plan.rpm, plan.tpm),
    )


def job_counts(records: dict[str, JobRecord | None], submitted: int) -> dict[str, int]:
    statuses = Counter(
        record.status.value
        for record in records.values()
        if record is not None and record.status in TERMINAL_STATUSES
    )
    ended = sum(statuses.values())
    return {"submitted": submitted, **statuses, "unfinished": submitted - ended}


def per_second(series: dict[str, Any]) -> PerSecond:
    buckets = {entry["second"]: entry for entry in series["seconds"]}
    first, last = min(buckets), max(buckets)
    dense = [buckets.get(second, NO_BUCKET) for second in range(first, last + 1)]
    return PerSecond(
        first_second=first,
        requests=[bucket["requests"] for bucket in dense],
        tokens=[bucket["tokens"] for bucket in dense],
        over_limit=[bucket["outcomes"].get("over_limit", 0) for bucket in dense],
    )


def rolling_sums(values: list[int]) -> list[int]:
    """The sum over the 60 s ending at each second (fewer seconds at the start)."""
    sums, total = [], 0
    for index, value in enumerate(values):
        total += value - (values[index - WINDOW_SECONDS] if index >= WINDOW_SECONDS else 0)
        sums.append(total)
    return sums


def steady_utilisation(values: list[int], limit: int) -> float | None:
    """Mean share of `limit` used by the 60-s windows lying wholly inside the busy period
    (from its first second to its last); None when it is shorter than a window."""
    steady = rolling_sums(values)[WINDOW_SECONDS - 1 :]
    return round(sum(steady) / len(steady) / limit, 4) if steady else None


def binding_limit(rpm_use: float | None, tpm_use: float | None) -> str:
    """The limit that held the model back: the fuller one, if it was nearly full."""
    uses = {"requests/min": rpm_use or 0.0, "tokens/min": tpm_use or 0.0}
    fuller = max(uses, key=lambda name: uses[name])
    return fuller if uses[fuller] >= TARGET_UTILISATION else "neither"


def model_result(series: dict[str, Any], plan: Plan) -> dict[str, Any]:
    seconds = per_second(series)
    totals, windows = series["totals"], series["windows"]
    answered = totals["requests"] - totals["outcomes"]["over_limit"]
    rpm_use = steady_utilisation(seconds.requests, plan.rpm)
    tpm_use = steady_utilisation(seconds.tokens, plan.tpm)
    return {
        "kind": series["kind"],
        "model": series["model"],
        "requests": totals["requests"],
        "tokens": totals["tokens"],
        "mean_tokens_per_request": round(totals["tokens"] / answered, 1) if answered else 0,
        "max_requests_1s": max(seconds.requests),
        "max_requests_60s": windows["max_requests"],
        "max_tokens_60s": windows["max_tokens"],
        "windows_over_rpm": windows["windows_over_rpm"],
        "windows_over_tpm": windows["windows_over_tpm"],
        "over_limit_429s": totals["outcomes"]["over_limit"],
        "busy_seconds": len(seconds.requests),
        "steady_windows": max(0, len(seconds.requests) - WINDOW_SECONDS + 1),
        "rpm_utilisation": rpm_use,
        "tpm_utilisation": tpm_use,
        "binding_limit": binding_limit(rpm_use, tpm_use),
        "per_second": {
            "first_second": seconds.first_second,
            "requests": seconds.requests,
            "tokens": seconds.tokens,
            "over_limit": seconds.over_limit,
        },
    }


def acceptance(models: list[dict[str, Any]], jobs: dict[str, int]) -> dict[str, Any]:
    windows_over = sum(m["windows_over_rpm"] + m["windows_over_tpm"] for m in models)
    best = max(
        (max(m["rpm_utilisation"] or 0.0, m["tpm_utilisation"] or 0.0) for m in models),
        default=0.0,
    )
    return {
        "windows_over_limits": windows_over,
        "over_limit_429s": sum(m["over_limit_429s"] for m in models),
        "best_steady_utilisation": best,
        "all_jobs_complete": jobs.get("complete", 0) == jobs["submitted"],
        "passed": windows_over == 0 and best >= TARGET_UTILISATION,
    }


def build_report(
    plan: Plan, env: dict[str, str], measured: Measured, settings: Settings
) -> dict[str, Any]:
    models = [model_result(series, plan) for series in measured.stats["series"]]
    return {
        "benchmark": "limits",
        "machine": machine(),
        "plan": {
            "jobs": plan.jobs,
            "workers": plan.workers,
            "api_processes": 1,
            "rpm_limit": plan.rpm,
            "tpm_limit": plan.tpm,
            "timeout_seconds": plan.timeout_seconds,
            "worker_max_jobs": settings.worker_max_jobs,
            "draft_model": settings.groq_draft_model,
        },
        "settings": {
            "fleet_env": env,
            "emulator": {
                "ttft_ms": EMULATOR_TTFT_MS,
                "tokens_per_second": EMULATOR_TOKENS_PER_SECOND,
                "completion_tokens": EmulatorConfig().completion_tokens,
            },
        },
        "jobs": measured.jobs,
        "submit_seconds": measured.submit_seconds,
        "duration_seconds": measured.duration_seconds,
        "provider_events": measured.provider_events,
        "acceptance": acceptance(models, measured.jobs),
        "models": models,
        "emulator_totals": measured.stats["totals"],
    }


HEADER = [
    "model", "limit rpm / tpm", "requests", "tokens", "tokens per answered request",
    "max requests in 1 s", "max requests in 60 s", "max tokens in 60 s", "windows over rpm",
    "windows over tpm", "over_limit 429s", "steady rpm use", "steady tpm use", "binding limit",
]  # fmt: skip


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    limits = f"{report['plan']['rpm_limit']} / {report['plan']['tpm_limit']}"
    return [
        [
            f"{m['kind']} `{m['model']}`",
            limits,
            m["requests"],
            m["tokens"],
            m["mean_tokens_per_request"],
            m["max_requests_1s"],
            m["max_requests_60s"],
            m["max_tokens_60s"],
            m["windows_over_rpm"],
            m["windows_over_tpm"],
            m["over_limit_429s"],
            _percent(m["rpm_utilisation"]),
            _percent(m["tpm_utilisation"]),
            m["binding_limit"],
        ]
        for m in report["models"]
    ]


def summary(report: dict[str, Any]) -> str:
    jobs, verdict = report["jobs"], report["acceptance"]
    events = ", ".join(
        f"{name} {count}" for name, count in sorted(report["provider_events"].items())
    )
    return "\n".join(
        [
            markdown_table(HEADER, table_rows(report)),
            "",
            f"Jobs: {jobs['submitted']} submitted, {jobs.get('complete', 0)} complete, "
            f"{jobs.get('failed', 0)} failed, {jobs['unfinished']} unfinished, in "
            f"{report['duration_seconds']} s from the first submission to the last job's end "
            f"(submitting took {report['submit_seconds']} s).",
            f"Provider events in the workers: {events or 'none'}.",
            f"Acceptance: {verdict['windows_over_limits']} windows over a limit, best steady "
            f"utilisation {_percent(verdict['best_steady_utilisation'])} "
            f"(needs ≥ {TARGET_UTILISATION:.0%}): {'passed' if verdict['passed'] else 'FAILED'}.",
        ]
    )


def markdown(report: dict[str, Any]) -> str:
    meta, plan, emulator = report["machine"], report["plan"], report["settings"]["emulator"]
    env = report["settings"]["fleet_env"]
    return "\n".join(
        [
            "# Shared egress limits across a fleet of workers",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs ({meta['platform']}), "
            f"Python {meta['python']}, by `python scripts/bench.py limits --jobs {plan['jobs']}` "
            "(raw per-second counts in `limits.json`, plot in `limits.png`).",
            "",
            summary(report),
            "",
            "## How it is measured",
            "",
            f"- One API process and {plan['workers']} worker processes (`izana worker`, "
            f"{plan['worker_max_jobs']} jobs each at most) share one Redis and one PostgreSQL; "
            "every provider is the emulator "
            f"(time to first token {emulator['ttft_ms']:.0f} ms, "
            f"{emulator['tokens_per_second']:.0f} tokens/s, "
            f"{emulator['completion_tokens']} completion tokens per answer).",
            f"- The emulator enforces {plan['rpm_limit']} requests/min and {plan['tpm_limit']} "
            "tokens/min per model (a 429 `over_limit` for a request over them) and the workers "
            f"get the same budget per model in `EGRESS_LIMITS={env['EGRESS_LIMITS']}`; "
            f"`RESPONSE_CACHE_TTL_SECONDS={env['RESPONSE_CACHE_TTL_SECONDS']}` (every job calls "
            f"the providers), `JOB_DEADLINE_SECONDS={env['JOB_DEADLINE_SECONDS']}`.",
            f"- {plan['jobs']} distinct English questions are queued through `POST /v1/chat`; a "
            "job reranks (Cohere), streams a draft (Groq large model) and has it reviewed in "
            "JSON mode (Groq small model). The egress limiter reserves each call's estimated "
            "tokens (prompt characters / 3 plus the whole `max_tokens`) before sending it and "
            "settles the reservation with the usage the response reports.",
            "- Every figure comes from the emulator's counters: each request counted in the whole "
            "second it arrived, with the tokens its answer reports (prompt + completion). A "
            "window is 60 consecutive seconds; *windows over* count every window holding a "
            "request of the model. *Steady use* is the mean, over the windows lying wholly "
            "inside the model's busy period (its first to its last request), of requests or "
            "tokens in the window divided by the limit. The *binding limit* is the fuller one "
            f"when it is at least {TARGET_UTILISATION:.0%} used.",
            "- *Provider events* are the workers' fleet-wide counters (`izana:stats:providers`) "
            "over the run: retries, shared cooldowns after a 429, fallbacks to another model.",
            "",
        ]
    )


def _draft_model(report: dict[str, Any]) -> dict[str, Any]:
    name = report["plan"]["draft_model"]
    return next(m for m in report["models"] if m["kind"] == "chat" and m["model"] == name)


def _plot(report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = min(m["per_second"]["first_second"] for m in report["models"])
    draft = _draft_model(report)
    figure, (requests_axis, tokens_axis) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    _plot_requests(requests_axis, draft, start, report["plan"]["rpm_limit"])
    chat = [m for m in report["models"] if m["kind"] == "chat"]
    _plot_tokens(tokens_axis, chat, start, report["plan"]["tpm_limit"])
    steady_from = draft["per_second"]["first_second"] - start + WINDOW_SECONDS - 1
    for axis in (requests_axis, tokens_axis):
        axis.axvline(steady_from, color="tab:green", ls=":", label="end of the first steady window")
        axis.grid(True, alpha=0.3)
        axis.legend(loc="center right")
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "limits.png", dpi=120)


def _timeline(series: dict[str, Any], start: int) -> list[int]:
    """Seconds since `start` of every entry of a per-second series."""
    return [series["first_second"] - start + i for i in range(len(series["requests"]))]


def _plot_requests(axis: Axes, model: dict[str, Any], start: int, rpm: int) -> None:
    series = model["per_second"]
    seconds = _timeline(series, start)
    per_second_axis = axis.twinx()
    per_second_axis.plot(seconds, series["requests"], color="tab:gray", lw=0.6, alpha=0.6)
    per_second_axis.axhline(rpm / WINDOW_SECONDS, color="tab:gray", ls=":")
    per_second_axis.set_ylim(0, max(series["requests"]) * 1.1)
    per_second_axis.set_ylabel(f"requests in the second (grey; dotted: {rpm}/60)")
    axis.plot(seconds, rolling_sums(series["requests"]), label="requests in last 60 s")
    axis.axhline(rpm, color="tab:red", ls="--", label=f"limit {rpm}/min")
    axis.set_ylim(0, rpm * 1.15)
    axis.set_ylabel("requests per minute")
    axis.set_title(f"chat {model['model']}: requests")


def _plot_tokens(axis: Axes, models: list[dict[str, Any]], start: int, tpm: int) -> None:
    for model in models:
        series = model["per_second"]
        axis.plot(_timeline(series, start), rolling_sums(series["tokens"]), label=model["model"])
    axis.axhline(tpm, color="tab:red", ls="--", label=f"limit {tpm}/min")
    axis.set_ylim(0, tpm * 1.15)
    axis.set_ylabel("tokens in last 60 s")
    axis.set_xlabel("seconds since the first provider request")
    axis.set_title("chat models: tokens")
