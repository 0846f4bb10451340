"""Settings and guards that send every provider to the emulator, for contract tests."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from emulator import RunningEmulator
from shared.config import Settings
from shared.providers.factory import build_guard
from shared.resilience.guard import ProviderGuard
from shared.resources import Resources

KEY = "sk-contract-test"


def emulated(emulator: RunningEmulator, resources: Resources, **changes: Any) -> Settings:
    """Settings that send every provider to the emulator, one attempt per call."""
    base = {
        "groq_api_key": KEY, "groq_base_url": emulator.url,
        "openai_api_key": KEY, "openai_base_url": f"{emulator.url}/v1",
        "cohere_api_key": KEY, "cohere_base_url": emulator.url,
        "pinecone_api_key": KEY, "pinecone_index_host": emulator.url,
        "provider_max_attempts": 1, "provider_timeout_seconds": 2.0,
        "embedding_dimensions": 64,
    }  # fmt: skip
    return Settings.model_validate({**resources.settings.model_dump(), **base, **changes})


def guard_for(settings: Settings, redis: Redis) -> ProviderGuard:
    return build_guard(settings, redis)
