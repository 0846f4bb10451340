"""`scripts/bench.py all`: every registered benchmark in turn, with quick settings.

Each runs as its own `scripts/bench.py <name>` process (one that fails does not stop the
others) and writes its report into `docs/benchmarks/quick/`, so the full runs' reports in
`docs/benchmarks/` stay as they are. The wall time and exit status of each run are recorded
in `all.md`, `all.json` and `all.png` there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import REPO_ROOT
from bench.report import machine, markdown_table

BENCH_SCRIPT = REPO_ROOT / "scripts" / "bench.py"
QUICK_DIR = REPO_ROOT / "docs" / "benchmarks" / "quick"
BUDGET_SECONDS = 20 * 60

# Options that keep each benchmark to a minute or a few; a benchmark not listed runs with its
# defaults.
QUICK_OPTIONS: dict[str, list[str]] = {
    "overhead": ["--rounds", "1", "--min-requests", "6", "--concurrency", "1,100"],
    "limits": ["--jobs", "100"],
    "faults": ["--jobs", "100", "--baseline-jobs", "50"],
    "cache": ["--questions", "10", "--hit-requests", "300", "--flight-requests", "50"],
    "retrieval": ["--corpus-lines", "3000"],
    "grounding": ["--skip-retrieval"],
    "bloodwork": ["--uploads", "50"],
    "bloodwork-accuracy": ["--reports", "100", "--scanned", "10"],
    "inflight": ["--levels", "1000", "--measure-seconds", "20"],
    "scaling": ["--workers", "1,4", "--measure-seconds", "20"],
    "cost": ["--chats", "100", "--concurrency", "50"],
    "streams": ["--steps", "250,500,1000", "--measure-seconds", "5"],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", help="comma-separated benchmarks (default: every one)")
    parser.add_argument("--out", type=Path, default=QUICK_DIR, help="where the reports go")


def run_all(args: argparse.Namespace, registered: Sequence[str]) -> str:
    names = args.only.split(",") if args.only else list(registered)
    report = run(names, args.out.resolve())
    return markdown_table(HEADER, table_rows(report))


def run(names: Sequence[str], out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "IZANA_BENCHMARKS_DIR": str(out)}
    runs = [_run_one(name, env) for name in names]
    total = round(sum(r["seconds"] for r in runs), 1)
    report = {
        "benchmark": "all",
        "machine": machine(),
        "runs": runs,
        "total_seconds": total,
        "budget_seconds": BUDGET_SECONDS,
        "within_budget": total <= BUDGET_SECONDS,
    }
    _publish(report, out)
    return report


def _run_one(name: str, env: Mapping[str, str]) -> dict[str, Any]:
    options = QUICK_OPTIONS.get(name, [])
    command = [sys.executable, str(BENCH_SCRIPT), name, *options]
    print(f"== {name} {' '.join(options)}", flush=True)
    started = time.monotonic()
    status = subprocess.run(command, env=env, cwd=REPO_ROOT, check=False).returncode
    seconds = round(time.monotonic() - started, 1)
    print(f"== {name}: {seconds} s, exit status {status}", flush=True)
    return {"name": name, "options": options, "seconds": seconds, "exit_status": status}


HEADER = ["benchmark", "quick options", "wall time s", "exit status"]


def table_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [r["name"], f"`{' '.join(r['options'])}`" if r["options"] else "(defaults)",
         r["seconds"], r["exit_status"]]
        for r in report["runs"]
    ]  # fmt: skip
    return [*rows, ["**all**", "", report["total_seconds"], ""]]


def markdown(report: dict[str, Any]) -> str:
    meta = report["machine"]
    verdict = "within" if report["within_budget"] else "over"
    return "\n".join(
        [
            "# Every benchmark, quick settings",
            "",
            f"Measured {meta['measured_at']} on {meta['cpus']} CPUs, Python {meta['python']}, by "
            "`python scripts/bench.py all`; each benchmark's quick report is beside this file.",
            "",
            markdown_table(HEADER, table_rows(report)),
            "",
            f"In all {report['total_seconds']} s, {verdict} the budget of "
            f"{report['budget_seconds'] // 60} minutes. Wall time includes each benchmark's "
            "start-up (embedded Redis and Postgres, models, processes).",
            "",
        ]
    )


def _publish(report: dict[str, Any], out: Path) -> None:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (out / "all.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "all.md").write_text(markdown(report))
    figure, axis = plt.subplots(figsize=(8, 0.5 * len(report["runs"]) + 1.5))
    names = [r["name"] for r in report["runs"]]
    axis.barh(names, [r["seconds"] for r in report["runs"]])
    axis.invert_yaxis()
    axis.set_xlabel("wall time, seconds")
    axis.set_title(f"scripts/bench.py all: {report['total_seconds']} s")
    axis.grid(True, axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "all.png", dpi=120)
