"""The emulator, in the current event loop (tests, benchmarks) or as `python -m emulator`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from typing import Any

import httpx

from emulator.app import create_app
from emulator.asgi import AsgiServer
from emulator.config import EmulatorConfig
from emulator.state import EmulatorState

CONTROL_TIMEOUT_SECONDS = 10.0


class RunningEmulator:
    """A handle on an emulator at `url`, driven through its control endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=CONTROL_TIMEOUT_SECONDS) as client:
            response = await client.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()

    async def configure(self, **changes: Any) -> EmulatorConfig:
        """Change some settings; the others keep their values."""
        return EmulatorConfig.model_validate(
            await self._call("PUT", "/_emulator/config", json=changes)
        )

    async def config(self) -> EmulatorConfig:
        return EmulatorConfig.model_validate(await self._call("GET", "/_emulator/config"))

    async def stats(
        self, rpm_limit: int | None = None, tpm_limit: int | None = None
    ) -> dict[str, Any]:
        """The counters; window counts use these limits, or the emulator's own when None."""
        limits = {"rpm_limit": rpm_limit, "tpm_limit": tpm_limit}
        params = {name: value for name, value in limits.items() if value is not None}
        stats: dict[str, Any] = await self._call("GET", "/_emulator/stats", params=params)
        return stats

    async def prompts(self) -> list[list[dict[str, str]]]:
        """The messages of the latest chat requests (at most 50), oldest first."""
        prompts: list[list[dict[str, str]]] = await self._call("GET", "/_emulator/prompts")
        return prompts

    async def reset(self) -> None:
        """Clear the counters, stored vectors and prompts and restart the fault sequence."""
        await self._call("POST", "/_emulator/reset")


@contextlib.asynccontextmanager
async def running_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[RunningEmulator]:
    """An emulator on 127.0.0.1 (a free port) in this event loop, stopped on exit."""
    server = AsgiServer(create_app(EmulatorState(config or EmulatorConfig())))
    port = await server.start("127.0.0.1", 0)
    try:
        yield RunningEmulator(f"http://127.0.0.1:{port}")
    finally:
        await server.stop()


def serve(host: str, port: int, config: EmulatorConfig) -> None:
    """Serve until SIGINT (Ctrl-C) or SIGTERM, then stop cleanly."""

    async def run() -> None:
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
        server = AsgiServer(create_app(EmulatorState(config)))
        bound = await server.start(host, port)
        print(
            f"  Provider emulator on http://{host}:{bound}  (settings at /_emulator/config)",
            flush=True,
        )
        try:
            await stopping.wait()
        finally:
            await server.stop()

    asyncio.run(run())
