"""Values read from Redis at scrape time: what a reader that cannot reach Redis leaves out."""

from __future__ import annotations

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.observability.metrics import ScrapedFromRedis

pytestmark = pytest.mark.unit


async def depth() -> list[Metric]:
    return [GaugeMetricFamily("izana_queue_depth", "depth", value=3)]


async def unreachable() -> list[Metric]:
    raise RedisConnectionError("down")


async def test_a_reader_out_of_reach_leaves_only_its_own_values_out() -> None:
    scraped = ScrapedFromRedis()
    scraped.add("queue", depth)
    scraped.add("breakers", unreachable)
    await scraped.refresh()
    assert [(m.name, m.samples[0].value) for m in scraped.collect()] == [("izana_queue_depth", 3)]


async def test_a_reader_added_again_replaces_the_earlier_one() -> None:
    scraped = ScrapedFromRedis()
    scraped.add("queue", unreachable)
    scraped.add("queue", depth)
    await scraped.refresh()
    assert [m.name for m in scraped.collect()] == ["izana_queue_depth"]
