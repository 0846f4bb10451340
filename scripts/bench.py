"""Benchmarks: python scripts/bench.py BENCHMARK [options] (overhead, limits, faults, cache,
retrieval, bloodwork, cost, streams).

Each prints a table and writes JSON, Markdown and a PNG plot to docs/benchmarks/.
"""

from __future__ import annotations

import argparse
import importlib

from shared.bench.overhead_run import HEADER, Plan, run, table_rows
from shared.bench.report import markdown_table

# benchmark → (module with `add_arguments(parser)` and `run_from_args(args) -> str`, help)
PROVIDER_BENCHMARKS = {
    "limits": ("shared.bench.limits", "shared egress limits hold across 4 workers"),
    "faults": ("shared.bench.faults", "answers survive 30 %% provider faults"),
    "cache": ("shared.bench.cache", "cache hit vs miss TTFT, hit throughput, single flight"),
    "retrieval": (
        "shared.bench.retrieval",
        "BM25, dense views and hybrid fusion on the LiveQA-Med dev questions",
    ),
    "bloodwork": (
        "shared.bench.bloodwork",
        "blood-work upload→ready latency and reports/min on the offline parser",
    ),
    "cost": (
        "shared.bench.cost",
        "CPU per streamed chat of API, worker, Redis and Postgres",
    ),
    "streams": (
        "shared.bench.streams",
        "concurrent SSE streams one API process holds, against a naive relay",
    ),
}


def run_overhead(args: argparse.Namespace) -> str:
    plan = Plan(args.requests, tuple(int(c) for c in args.concurrency.split(",")))
    return markdown_table(HEADER, table_rows(run(plan)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="benchmark", required=True)
    overhead = commands.add_parser(
        "overhead", help="TTFT through API+queue+worker+SSE vs in-process"
    )
    overhead.add_argument("--requests", type=int, default=300)
    overhead.add_argument("--concurrency", default="1,50")
    for name, (module, help_text) in PROVIDER_BENCHMARKS.items():
        importlib.import_module(module).add_arguments(commands.add_parser(name, help=help_text))
    args = parser.parse_args()
    if args.benchmark == "overhead":
        print(run_overhead(args))
    else:
        print(importlib.import_module(PROVIDER_BENCHMARKS[args.benchmark][0]).run_from_args(args))


if __name__ == "__main__":
    main()
