"""Percentiles for benchmark reports."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (the 'inclusive' method of `statistics.quantiles`)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    cut_points = statistics.quantiles(ordered, n=100, method="inclusive")
    return cut_points[int(p) - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p), 2) for p in PERCENTILES}
