"""What the emulator received, per endpoint kind, model and whole epoch second.

A request is counted in the second it arrived, with the tokens its answer reports
(prompt + completion) and the outcome it was given. The same buckets drive the provider-side
limits, so what `/_emulator/stats` shows is exactly what the limits enforced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

WINDOW_SECONDS = 60


class Outcome(StrEnum):
    OK = "ok"
    RATE_429 = "429"
    ERROR_500 = "500"
    ERROR_503 = "503"
    RESET = "reset"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    TRUNCATE = "truncate"
    INVALID_JSON = "invalid_json"
    OVER_LIMIT = "over_limit"


@dataclass
class Bucket:
    requests: int = 0
    tokens: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def as_json(self, every_outcome: bool = False) -> dict[str, Any]:
        shown = Outcome if every_outcome else sorted(self.outcomes)
        outcomes = {outcome.value: self.outcomes[outcome] for outcome in shown}
        return {"requests": self.requests, "tokens": self.tokens, "outcomes": outcomes}


@dataclass(frozen=True)
class WindowSummary:
    """The busiest 60-second window and how many windows went over the given limits."""

    max_requests: int
    max_tokens: int
    windows_over_rpm: int | None
    windows_over_tpm: int | None


Series = tuple[str, str]  # (endpoint kind, model)


class Counters:
    def __init__(self) -> None:
        self._series: dict[Series, dict[int, Bucket]] = {}

    def clear(self) -> None:
        self._series.clear()

    def _bucket(self, series: Series, second: int) -> Bucket:
        return self._series.setdefault(series, {}).setdefault(second, Bucket())

    def record_request(self, series: Series, second: int) -> None:
        self._bucket(series, second).requests += 1

    def record_outcome(self, series: Series, second: int, outcome: Outcome, tokens: int) -> None:
        bucket = self._bucket(series, second)
        bucket.outcomes[outcome] += 1
        bucket.tokens += tokens

    def window(self, series: Series, last_second: int, skip: int = 0) -> tuple[int, int]:
        """Requests and tokens in the 60 s up to `last_second`, less the `skip` oldest seconds."""
        buckets = self._series.get(series, {})
        first = last_second - WINDOW_SECONDS + 1 + skip
        inside = [buckets[s] for s in range(first, last_second + 1) if s in buckets]
        return sum(b.requests for b in inside), sum(b.tokens for b in inside)

    def snapshot(self, rpm_limit: int | None, tpm_limit: int | None) -> dict[str, Any]:
        """The stats document served at `GET /_emulator/stats`."""
        series_json = []
        for (kind, model), buckets in sorted(self._series.items()):
            summary = rolling_windows(buckets, rpm_limit, tpm_limit)
            series_json.append(
                {
                    "kind": kind,
                    "model": model,
                    "totals": _total(buckets.values()).as_json(every_outcome=True),
                    "windows": asdict(summary),
                    "seconds": [
                        {"second": second, **bucket.as_json()}
                        for second, bucket in sorted(buckets.items())
                    ],
                }
            )
        everything = (b for buckets in self._series.values() for b in buckets.values())
        return {
            "window_seconds": WINDOW_SECONDS,
            "limits": {"rpm": rpm_limit, "tpm": tpm_limit},
            "totals": _total(everything).as_json(every_outcome=True),
            "series": series_json,
        }


def _total(buckets: Iterable[Bucket]) -> Bucket:
    total = Bucket()
    for bucket in buckets:
        total.requests += bucket.requests
        total.tokens += bucket.tokens
        total.outcomes.update(bucket.outcomes)
    return total


def rolling_windows(
    buckets: Mapping[int, Bucket], rpm_limit: int | None, tpm_limit: int | None
) -> WindowSummary:
    """Slide a 60-second window over every whole second that has a request in its window."""
    requests = tokens = max_requests = max_tokens = over_rpm = over_tpm = 0
    empty = Bucket()
    seconds = range(min(buckets), max(buckets) + WINDOW_SECONDS) if buckets else range(0)
    for second in seconds:
        entering = buckets.get(second, empty)
        leaving = buckets.get(second - WINDOW_SECONDS, empty)
        requests += entering.requests - leaving.requests
        tokens += entering.tokens - leaving.tokens
        max_requests, max_tokens = max(max_requests, requests), max(max_tokens, tokens)
        over_rpm += rpm_limit is not None and requests > rpm_limit
        over_tpm += tpm_limit is not None and tokens > tpm_limit
    return WindowSummary(
        max_requests,
        max_tokens,
        over_rpm if rpm_limit is not None else None,
        over_tpm if tpm_limit is not None else None,
    )
