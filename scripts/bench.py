"""Benchmarks. Usage: python scripts/bench.py overhead [--requests N] [--concurrency 1,50]"""

from __future__ import annotations

import argparse

from shared.bench.overhead_run import HEADER, Plan, run, table_rows
from shared.bench.report import markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="benchmark", required=True)
    overhead = commands.add_parser(
        "overhead", help="TTFT through API+queue+worker+SSE vs in-process"
    )
    overhead.add_argument("--requests", type=int, default=300)
    overhead.add_argument("--concurrency", default="1,50")
    args = parser.parse_args()
    plan = Plan(args.requests, tuple(int(c) for c in args.concurrency.split(",")))
    report = run(plan)
    print(markdown_table(HEADER, table_rows(report)))


if __name__ == "__main__":
    main()
