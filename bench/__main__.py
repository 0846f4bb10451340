"""Benchmarks: python scripts/bench.py BENCHMARK [options] (or `python -m bench` from the
repository root): overhead, limits, faults, cache, retrieval, grounding, bloodwork,
bloodwork-accuracy, cost, inflight, scaling, chaos, streams, gold, or all of them quickly.

Each prints a table and writes JSON, Markdown and a PNG plot to docs/benchmarks/.
"""

from __future__ import annotations

import argparse
import importlib

from bench import everything

# benchmark → (module with `add_arguments(parser)` and `run_from_args(args) -> str`, help)
BENCHMARKS = {
    "overhead": (
        "bench.overhead_run",
        "TTFT through API+queue+worker+SSE vs in-process, wake-up list vs ARQ's poll",
    ),
    "limits": ("bench.limits", "shared egress limits hold across 4 workers"),
    "faults": ("bench.faults", "answers survive 30 %% provider faults"),
    "cache": ("bench.cache", "cache hit vs miss TTFT, hit throughput, single flight"),
    "retrieval": (
        "bench.retrieval",
        "BM25, dense views and hybrid fusion on the LiveQA-Med dev questions",
    ),
    "grounding": (
        "bench.grounding",
        "answers on the asked topic and declines on the labelled questions, beside LiveQA nDCG",
    ),
    "bloodwork": (
        "bench.bloodwork",
        "blood-work upload→ready latency and reports/min on the offline parser",
    ),
    "bloodwork-accuracy": (
        "bench.bloodwork_accuracy",
        "offline reader precision and recall on generated lab reports, digital and scanned",
    ),
    "cost": (
        "bench.cost",
        "CPU per streamed chat of API, worker, Redis and Postgres",
    ),
    "inflight": ("bench.inflight", "most jobs in flight in one worker process"),
    "scaling": ("bench.scaling", "jobs/s with 1, 2 and 4 workers at a fixed max_jobs"),
    "chaos": (
        "bench.chaos",
        "worker and API SIGKILLs, Redis and Postgres restarts under load: lost jobs, "
        "answers stored twice, broken streams, recovery times",
    ),
    "streams": (
        "bench.streams",
        "concurrent SSE streams one API process holds, against a naive relay",
    ),
    "gold": (
        "bench.gold",
        "gold answers' similarity threshold: precision and recall on labelled question pairs",
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="benchmark", required=True)
    for name, (module, help_text) in BENCHMARKS.items():
        importlib.import_module(module).add_arguments(commands.add_parser(name, help=help_text))
    everything.add_arguments(
        commands.add_parser("all", help="every benchmark above, quick, into docs/benchmarks/quick")
    )
    args = parser.parse_args()
    if args.benchmark == "all":
        print(everything.run_all(args, list(BENCHMARKS)))
    else:
        print(importlib.import_module(BENCHMARKS[args.benchmark][0]).run_from_args(args))


if __name__ == "__main__":
    main()
