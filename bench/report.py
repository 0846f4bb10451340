"""Writes a benchmark's JSON, Markdown table and plot under docs/benchmarks/."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import REPO_ROOT

# `scripts/bench.py all` points its quick runs elsewhere, leaving the full runs' reports be.
BENCHMARKS_DIR = Path(os.environ.get("IZANA_BENCHMARKS_DIR", REPO_ROOT / "docs" / "benchmarks"))


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_json(name: str, data: dict[str, Any]) -> Path:
    BENCHMARKS_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCHMARKS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


@contextmanager
def measured_run() -> Iterator[dict[str, Any]]:
    """The run's seconds and the 1-minute load average before and after, filled in at its end."""
    info: dict[str, Any] = {"load_average_before": round(os.getloadavg()[0], 2)}
    started = time.monotonic()
    yield info
    info["seconds"] = round(time.monotonic() - started, 1)
    info["load_average_after"] = round(os.getloadavg()[0], 2)


def publish(name: str, report: dict[str, Any], markdown: str) -> None:
    """`<name>.json` and `<name>.md` under docs/benchmarks/ (the plot is the caller's)."""
    write_json(name, report)
    (BENCHMARKS_DIR / f"{name}.md").write_text(markdown)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
