"""Blood-work uploads on the offline parser: upload→ready latency and reports per minute.

One API and two workers on fresh embedded Redis and Postgres, no provider configured (so the
worker reads markers with the rule-based parser). `concurrency` clients, each with its own
session, upload the shipped samples round robin; each client uploads its next report once the
previous one is ready (a session has one pending report at a time). Latency runs from sending
the upload to the poll (every 100 ms) that sees `ready`. A few unmeasured reports first let
the workers finish starting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import REPO_ROOT
from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from bench.stats import summary
from izana.embedded import embedded_services, exit_on_sigterm
from izana.processes import ApiProcess, service_env, start_api, start_izana, stop_all, wait_ready
from shared.config import Settings
from shared.db.migrate import upgrade_to_head

SAMPLES_DIR = REPO_ROOT / "data" / "samples"
# Provider settings a developer may have exported: blank, so the offline parser reads.
NO_PROVIDERS = dict.fromkeys(
    (
        "OPENAI_API_KEY",
        "GROQ_API_KEY",
        "COHERE_API_KEY",
        "PINECONE_API_KEY",
        "LLM_API_KEY",
        "LLM_BASE_URL",
        "PINECONE_INDEX_HOST",
    ),
    "",
)
POLL_SECONDS = 0.1
READY_TIMEOUT_SECONDS = 120.0
PENDING = {"queued", "processing"}
HEADER = ["measure", "p50", "p95", "p99"]


@dataclass(frozen=True)
class Plan:
    uploads: int = 100
    concurrency: int = 20
    workers: int = 2


@dataclass
class Upload:
    sample: str
    status: str
    markers: int
    expected_markers: int
    upload_ms: float
    ready_ms: float | None
    polls: int


@dataclass
class Results:
    plan: Plan
    seconds: float
    uploads: list[Upload] = field(default_factory=list)


def samples() -> list[tuple[str, bytes, int]]:
    """(name, PDF, marker count of its ground truth) of every shipped sample."""
    return [
        (
            path.stem,
            path.read_bytes(),
            len(json.loads(path.with_suffix(".json").read_text())["markers"]),
        )
        for path in sorted(SAMPLES_DIR.glob("*.pdf"))
    ]


@contextmanager
def running_services(workers: int) -> Iterator[ApiProcess]:
    exit_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="izana-bench-") as data_dir:
        base = Settings(data_dir=Path(data_dir))
        with embedded_services(base) as urls:
            upgrade_to_head(urls.database_url)
            env = service_env(
                urls,
                **NO_PROVIDERS,
                LOG_LEVEL="WARNING",
                RATE_LIMIT_GENERAL="1000000/minute",
                RATE_LIMIT_UPLOAD="1000000/hour",
            )
            api = start_api(env)
            processes = [api.process, *(start_izana(["worker"], env) for _ in range(workers))]
            try:
                wait_ready(api)
                yield api
            finally:
                stop_all(processes, 60)


async def one_upload(
    client: httpx.AsyncClient, api: str, auth: dict[str, str], sample: tuple[str, bytes, int]
) -> Upload:
    name, pdf, expected = sample
    files = {"file": (f"{name}.pdf", pdf, "application/pdf")}
    sent = time.monotonic()
    response = await client.post(f"{api}/v1/bloodwork", files=files, headers=auth)
    upload_ms = (time.monotonic() - sent) * 1000
    if response.status_code != 202:
        return Upload(name, f"upload {response.status_code}", 0, expected, upload_ms, None, 0)
    url = f"{api}{response.json()['status_url']}"
    polls = 0
    body: dict[str, Any] = {"status": "queued", "markers": []}
    while time.monotonic() - sent < READY_TIMEOUT_SECONDS:
        polled = await client.get(url, headers=auth)
        polls += 1
        body = polled.json()
        if body["status"] not in PENDING:
            break
        await asyncio.sleep(POLL_SECONDS)
    ready_ms = (time.monotonic() - sent) * 1000 if body["status"] == "ready" else None
    return Upload(name, body["status"], len(body["markers"]), expected, upload_ms, ready_ms, polls)


async def warm_up(
    client: httpx.AsyncClient, api: str, sample: tuple[str, bytes, int], workers: int
) -> None:
    """A report per worker, unmeasured, so that the workers' start is not in the figures."""

    async def one() -> None:
        response = await client.post(f"{api}/v1/sessions")
        response.raise_for_status()
        auth = {"Authorization": f"Bearer {response.json()['token']}"}
        await one_upload(client, api, auth, sample)

    await asyncio.gather(*(one() for _ in range(workers * 2)))


async def load(api: str, plan: Plan) -> Results:
    shipped = samples()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(plan.uploads):
        queue.put_nowait(index)
    done: list[Upload] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        response = await client.post(f"{api}/v1/sessions")
        response.raise_for_status()
        auth = {"Authorization": f"Bearer {response.json()['token']}"}
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            done.append(await one_upload(client, api, auth, shipped[index % len(shipped)]))

    limits = httpx.Limits(max_connections=plan.concurrency * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await warm_up(client, api, shipped[0], plan.workers)
        started = time.monotonic()
        await asyncio.gather(*(client_loop(client) for _ in range(plan.concurrency)))
        seconds = time.monotonic() - started
    return Results(plan, seconds, done)


def run(plan: Plan) -> dict[str, Any]:
    with measured_run() as run_info, running_services(plan.workers) as api:
        results = asyncio.run(load(api.base_url, plan))
    report = make_report(results, run_info)
    publish("bloodwork", report, markdown(report))
    plot(results)
    return report


def make_report(results: Results, run_info: dict[str, Any]) -> dict[str, Any]:
    uploads = results.uploads
    ready = [u.ready_ms for u in uploads if u.ready_ms is not None]
    mismatches = [u for u in uploads if u.status != "ready" or u.markers != u.expected_markers]
    return {
        "machine": machine(),
        "run": run_info,
        "plan": asdict(results.plan),
        "reports": len(uploads),
        "ready": len(ready),
        "count_mismatches": len(mismatches),
        "mismatched": [asdict(u) for u in mismatches],
        "load_seconds": round(results.seconds, 2),
        "reports_per_minute": round(len(ready) / results.seconds * 60, 1),
        "upload_to_ready_ms": summary(ready) if ready else {},
        "upload_response_ms": summary([u.upload_ms for u in uploads]),
        "polls_per_report": round(sum(u.polls for u in uploads) / max(1, len(uploads)), 1),
        "samples": [asdict(u) for u in uploads],
    }


def table(report: dict[str, Any]) -> str:
    rows: list[list[Any]] = [
        ["upload → ready, ms", *_percentiles(report["upload_to_ready_ms"])],
        ["upload response (202), ms", *_percentiles(report["upload_response_ms"])],
    ]
    plan = report["plan"]
    totals = markdown_table(
        ["reports", "ready", "count mismatches", "clients", "workers", "seconds", "reports/min"],
        [
            [
                report["reports"],
                report["ready"],
                report["count_mismatches"],
                plan["concurrency"],
                plan["workers"],
                report["load_seconds"],
                report["reports_per_minute"],
            ]
        ],
    )
    return markdown_table(HEADER, rows) + "\n\n" + totals


def _percentiles(values: dict[str, float]) -> list[Any]:
    return [values.get(f"p{p}", "-") for p in (50, 95, 99)]


def markdown(report: dict[str, Any]) -> str:
    plan = report["plan"]
    return (
        "# Blood-work uploads on the offline parser\n\n"
        f"`python scripts/bench.py bloodwork --uploads {plan['uploads']} "
        f"--concurrency {plan['concurrency']}`: one API process and {plan['workers']} workers "
        "on fresh embedded Redis and Postgres, no provider configured, uploads waiting in "
        "Postgres (the default `BLOODWORK_STORAGE`). Each of "
        f"{plan['concurrency']} clients (one session each) uploads the 5 samples of "
        "`data/samples/` round robin and polls every 100 ms; upload→ready runs from sending "
        "the upload to the poll that sees `ready`, after a few unmeasured warm-up reports. "
        "A report counts as a mismatch unless it ends `ready` with its sample's marker "
        "count.\n\n"
        f"{table(report)}\n\n"
        f"Measured {report['machine']['measured_at']} on {report['machine']['cpus']} CPUs; "
        f"load average {report['run']['load_average_before']} before, "
        f"{report['run']['load_average_after']} after. Raw samples in `bloodwork.json`; "
        "![upload→ready latency](bloodwork.png)\n"
    )


def plot(results: Results) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for label, values in (
        ("upload → ready", [u.ready_ms for u in results.uploads if u.ready_ms is not None]),
        ("upload response", [u.upload_ms for u in results.uploads]),
    ):
        ordered = sorted(v for v in values if v is not None and math.isfinite(v))
        if ordered:
            axis.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
    axis.set_xscale("log")
    axis.set_xlabel("ms")
    axis.set_ylabel("fraction of reports")
    axis.set_title(
        f"{len(results.uploads)} blood-work uploads, {results.plan.concurrency} clients, "
        f"{results.plan.workers} workers"
    )
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "bloodwork.png", dpi=110)
    plt.close(figure)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Plan()
    parser.add_argument("--uploads", type=int, default=defaults.uploads)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--workers", type=int, default=defaults.workers)


def run_from_args(args: argparse.Namespace) -> str:
    plan = Plan(uploads=args.uploads, concurrency=args.concurrency, workers=args.workers)
    return table(run(plan))
