"""The Grafana dashboard and the KEDA trigger query only metrics the product exports."""

from __future__ import annotations

import json
import re

from prometheus_client import REGISTRY

import shared.observability.metrics  # noqa: F401  (registers the product's metrics)
from tests.constants import ROOT

# Series the product reads from Redis at scrape time (not in the registry until a scrape).
SCRAPED = {"izana_queue_depth", "izana_queue_oldest_age_seconds", "izana_breaker_open"}
SERIES_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported() -> set[str]:
    """The families' names (a counter's without `_total`)."""
    return SCRAPED | {family.name for family in REGISTRY.collect()}


def family_of(series: str) -> str:
    for suffix in SERIES_SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def queried(text: str) -> set[str]:
    return set(re.findall(r"\bizana_[a-z_]+", text))


def test_the_dashboard_queries_exported_metrics() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "izana-dashboard.json").read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    )
    names = queried(expressions)
    assert names - {"izana_queue_depth"}  # more than the variable's metric
    known = exported()
    for name in names:
        base = name.removesuffix("_bucket") if name.endswith("_bucket") else name
        assert (
            name in known
            or base in known
            or any(name == family + suffix for family in known for suffix in SERIES_SUFFIXES)
        ), name


def test_keda_scales_on_an_exported_metric() -> None:
    scaled = (ROOT / "deploy" / "k8s-keda" / "keda-scaledobject.yaml").read_text()
    assert queried(scaled.split("query:", 1)[1].splitlines()[0]) == {"izana_queue_depth"}
