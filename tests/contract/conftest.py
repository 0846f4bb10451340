"""An OpenAI SDK client on the emulator (the emulator fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from emulator import RunningEmulator
from shared.resources import Resources


@pytest.fixture
async def client(emulator: RunningEmulator) -> AsyncIterator[openai.AsyncOpenAI]:
    """SDK retries off, so each fault reaches the test as the SDK raises it."""
    async with openai.AsyncOpenAI(
        api_key="test-key", base_url=f"{emulator.url}/v1", max_retries=0, timeout=5
    ) as opened:
        yield opened


@pytest.fixture(autouse=True)
async def fresh_provider_state(resources: Resources) -> None:
    """No breaker or cooldown left over from an earlier test for the models used here."""
    for pattern in ("izana:breaker:*", "izana:egress:*:cooldown"):
        keys = [key async for key in resources.redis.scan_iter(match=pattern)]
        if keys:
            await resources.redis.delete(*keys)
