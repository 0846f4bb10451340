"""Benchmarks: python scripts/bench.py BENCHMARK [options], the same as `python -m bench` from the
repository root (bench/__main__.py lists them; docs/benchmarks/README.md)."""

import sys
from pathlib import Path

# The benchmarks are not installed with the product. Python put this script's folder first on the
# path, where this very file would shadow the `bench` package: the repository root replaces it.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main()
