"""`scripts/bench.py overhead`: runs the overhead benchmark and writes its report."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from shared.bench.overhead import Sample, describe, raw, run_in_process, run_system
from shared.bench.report import BENCHMARKS_DIR, machine, markdown_table, write_json
from shared.config import Settings
from shared.db.migrate import upgrade_to_head
from shared.embedded import ServiceUrls, embedded_services, exit_on_sigterm
from shared.knowledge.ingest.product import ingest_shipped
from shared.processes import service_env, start_api, start_izana, stop, wait_ready
from shared.resources import open_resources

WARMUP_REQUESTS = 20


@dataclass(frozen=True)
class Plan:
    requests: int
    concurrency: tuple[int, ...]


async def _measure(
    settings: Settings, base_url: str, plan: Plan
) -> dict[int, dict[str, list[Sample]]]:
    results: dict[int, dict[str, list[Sample]]] = {}
    async with open_resources(settings) as resources:
        await ingest_shipped(resources)
        await run_system(base_url, WARMUP_REQUESTS, 1)
        await run_in_process(resources, WARMUP_REQUESTS, 1)
        for concurrency in plan.concurrency:
            results[concurrency] = {
                "in_process": await run_in_process(resources, plan.requests, concurrency),
                "system": await run_system(base_url, plan.requests, concurrency),
            }
    return results


def run(plan: Plan) -> dict[str, Any]:
    exit_on_sigterm()
    base = Settings()
    with embedded_services(base) as urls:
        upgrade_to_head(urls.database_url)
        settings = base.model_copy(
            update={"redis_url": urls.redis_url, "database_url": urls.database_url}
        )
        results = _with_processes(urls, settings, plan)
    report = {
        "benchmark": "overhead",
        "machine": machine(),
        "plan": {"requests": plan.requests, "concurrency": list(plan.concurrency)},
        "results": {
            str(c): {kind: describe(samples) for kind, samples in by_kind.items()}
            for c, by_kind in results.items()
        },
        "samples": {
            str(c): {kind: raw(samples) for kind, samples in by_kind.items()}
            for c, by_kind in results.items()
        },
    }
    write_json("overhead", report)
    _plot(results)
    (BENCHMARKS_DIR / "overhead.md").write_text(markdown(report))
    return report


def _with_processes(
    urls: ServiceUrls, settings: Settings, plan: Plan
) -> dict[int, dict[str, list[Sample]]]:
    # The response cache would answer repeated questions without the pipeline being measured.
    env = service_env(
        urls, LOG_LEVEL="WARNING", LOCAL_LLM_WORDS_PER_SECOND="0", RESPONSE_CACHE_TTL_SECONDS="0"
    )
    api = start_api(env)
    worker = start_izana(["worker"], env)
    try:
        wait_ready(api)
        return asyncio.run(_measure(settings, api.base_url, plan))
    finally:
        stop(api.process)
        stop(worker)


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for concurrency, kinds in report["results"].items():
        system, baseline = kinds["system"], kinds["in_process"]
        for p in ("p50", "p95", "p99"):
            rows.append([
                concurrency, p, baseline["ttft_ms"][p], system["ttft_ms"][p],
                system["pipeline_ttft_ms"][p], system["overhead_ms"][p],
                round(system["ttft_ms"][p] - baseline["ttft_ms"][p], 2),
            ])  # fmt: skip
    return rows


HEADER = [
    "concurrency", "percentile", "in-process TTFT ms", "end-to-end TTFT ms",
    "worker pipeline TTFT ms", "added overhead ms (paired)", "e2e minus in-process ms",
]  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    meta = report["machine"]
    return "\n".join(
        [
            "# Overhead of API + queue + worker + SSE on time to first token",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs, Python {meta['python']}, "
            f"{report['plan']['requests']} requests per concurrency level, by "
            "`python scripts/bench.py overhead` (raw samples in `overhead.json`, plot in "
            "`overhead.png`).",
            "",
            markdown_table(HEADER, table_rows(report)),
            "",
            "- *end-to-end TTFT*: from sending `POST /v1/chat` with `Accept: text/event-stream` to "
            "the first `token` event, through one API process, Redis (ARQ queue and the job's "
            "stream) and one worker process, all on this machine.",
            "- *worker pipeline TTFT*: the same job's pipeline, from its start to its first token, "
            "as the worker reports it in `done.timings.ttft_ms`.",
            "- *added overhead (paired)*: end-to-end TTFT minus that job's pipeline TTFT: "
            "admission, "
            "Postgres writes, enqueue, pickup, event stream and SSE relay.",
            "- *in-process TTFT*: the same pipeline (same providers, Redis, Postgres) called "
            "directly in the benchmark process, the baseline of the same run.",
            "",
        ]
    )


def _plot(results: dict[int, dict[str, list[Sample]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
    for axis, (concurrency, by_kind) in zip(axes[0], results.items(), strict=True):
        for label, values in (
            ("in-process TTFT", [s.ttft_ms for s in by_kind["in_process"]]),
            ("end-to-end TTFT", [s.ttft_ms for s in by_kind["system"]]),
            ("added overhead (paired)", [s.overhead_ms for s in by_kind["system"]]),
        ):
            ordered = sorted(values)
            axis.plot(ordered, [i / len(ordered) for i in range(1, len(ordered) + 1)], label=label)
        axis.set_title(f"concurrency {concurrency}")
        axis.set_xlabel("milliseconds")
        axis.set_ylabel("fraction of requests")
        axis.set_xscale("log")
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "overhead.png", dpi=120)
