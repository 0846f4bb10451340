"""An OpenAI SDK client on the emulator (the emulator fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from shared.emulator import RunningEmulator


@pytest.fixture
async def client(emulator: RunningEmulator) -> AsyncIterator[openai.AsyncOpenAI]:
    """SDK retries off, so each fault reaches the test as the SDK raises it."""
    async with openai.AsyncOpenAI(
        api_key="test-key", base_url=f"{emulator.url}/v1", max_retries=0, timeout=5
    ) as opened:
        yield opened
