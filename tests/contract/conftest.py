"""A provider emulator for contract tests: one server for the session, reset for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.emulator import EmulatorConfig, RunningEmulator, running_emulator


@pytest.fixture(scope="session")
async def emulator_server() -> AsyncIterator[RunningEmulator]:
    async with running_emulator() as emulator:
        yield emulator


@pytest.fixture
async def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    """The session's emulator with default settings, no counters and no vectors."""
    await emulator_server.configure(**EmulatorConfig().model_dump(mode="json"))
    await emulator_server.reset()
    return emulator_server
