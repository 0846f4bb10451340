"""The benchmarks (`scripts/bench.py`, docs/benchmarks/README.md): dev tooling, not part of the
installed product."""

from pathlib import Path

# The checkout the benchmarks run from: they read its data/ and write their reports into docs/.
REPO_ROOT = Path(__file__).resolve().parent.parent
