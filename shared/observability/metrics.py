"""The product's Prometheus metrics, in prometheus-client's default registry.

Each API and worker process keeps its own counters and histograms (one process per pod, so no
multiprocess mode) and serves them on `/metrics`. What several processes share lives in Redis
(the queue, the breakers) and is read when Prometheus scrapes, by the readers registered on
`SCRAPED` (`scraped_from_redis`), so every replica reports the same fleet-wide numbers.

Nothing here is updated per token: a job touches its histograms once, when it ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# No `_created` series beside each counter and histogram: twice the series, nothing charted.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Seconds, from a fast cache hit to a job at its deadline (JOB_DEADLINE_SECONDS, 120 s).
JOB_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120)
PROVIDER_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30)

QUEUE_WAIT = Histogram(
    "izana_job_queue_wait_seconds", "Time from enqueue to the attempt that answered.", ["job"],
    buckets=JOB_SECONDS,
)  # fmt: skip
TIME_TO_FIRST_TOKEN = Histogram(
    "izana_job_time_to_first_token_seconds", "Time from pickup to the first answer token.",
    ["job"], buckets=JOB_SECONDS,
)  # fmt: skip
ANSWER_TIME = Histogram(
    "izana_job_answer_seconds", "Time from pickup to the whole answer.", ["job"],
    buckets=JOB_SECONDS,
)  # fmt: skip
JOB_OUTCOMES = Counter(
    "izana_job_outcomes", "Streamed jobs ended, by outcome and error code.",
    ["job", "outcome", "code"],
)  # fmt: skip
LEASE_TAKEOVERS = Counter(
    "izana_lease_takeovers",
    "Attempts that found a later attempt had taken their job over (their lease had lapsed).",
)
ANSWERS = Counter(
    "izana_answers",
    "Chat answers by where they came from (pipeline, cache, shared, personal, gold).",
    ["source"],
)  # fmt: skip
PROVIDER_CALLS = Counter(
    "izana_provider_calls", "Provider calls by outcome: ok or the failure's kind.",
    ["provider", "model", "status"],
)  # fmt: skip
PROVIDER_LATENCY = Histogram(
    "izana_provider_call_seconds", "Provider call latency, once its budget was granted.",
    ["provider", "model"], buckets=PROVIDER_SECONDS,
)  # fmt: skip
PROVIDER_RETRIES = Counter(
    "izana_provider_retries", "Provider calls sent again by the guard.", ["provider", "model"]
)
PROVIDER_FALLBACKS = Counter(
    "izana_provider_fallbacks", "Calls passed to the next model of a chain.", ["role", "model"]
)
PROVIDER_COOLDOWNS = Counter(
    "izana_provider_cooldowns", "Shared cooldowns started by a provider's 429.",
    ["provider", "model"],
)  # fmt: skip
BREAKER_OPENED = Counter(
    "izana_breaker_opened", "Circuit breakers opened by failures.", ["provider", "model"]
)
RATE_LIMITED = Counter(
    "izana_rate_limited", "Requests refused by an ingress rate limit.", ["policy"]
)
SSE_STREAMS = Gauge("izana_sse_streams_open", "SSE responses being relayed by this process.")

# Reads fleet-wide values from Redis when Prometheus scrapes (within READ_TIMEOUT_SECONDS).
Reader = Callable[[], Awaitable[Iterable[Metric]]]
READ_TIMEOUT_SECONDS = 2.0


class ScrapedFromRedis(Collector):
    """A collector of values read at scrape time: `refresh` reads them (async, on the process's
    event loop), then `collect` yields what it read, to prometheus-client's synchronous API."""

    def __init__(self) -> None:
        self._readers: dict[str, Reader] = {}
        self._read: list[Metric] = []

    def add(self, name: str, reader: Reader) -> None:
        """Read `reader` at each scrape, in place of an earlier reader of the same name."""
        self._readers[name] = reader

    async def refresh(self) -> None:
        """Read every reader now; one that cannot reach Redis is left out of this scrape, so
        the process's own counters are still served during an outage."""
        read_now: list[Metric] = []
        for name, read in self._readers.items():
            try:
                read_now += await asyncio.wait_for(read(), READ_TIMEOUT_SECONDS)
            except (RedisError, OSError, TimeoutError) as error:
                log.warning(
                    "metrics not read", extra={"metrics": name, "error": type(error).__name__}
                )
        self._read = read_now

    def collect(self) -> Iterator[Metric]:
        return iter(self._read)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # what it reads is known only at scrape time


SCRAPED = ScrapedFromRedis()
REGISTRY.register(SCRAPED)


async def exposition() -> tuple[bytes, str]:
    """The text Prometheus scrapes, with the values in Redis read now, and its content type."""
    await SCRAPED.refresh()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
