"""Starts and stops `izana api` / `izana worker` child processes (dev mode, tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

import httpx

from shared.embedded import ServiceUrls

STARTUP_SECONDS = 30.0
STOP_SECONDS = 60.0  # longer than the worker's shutdown grace (WORKER_SHUTDOWN_GRACE_SECONDS)


@dataclass(frozen=True)
class ApiProcess:
    process: subprocess.Popen[bytes]
    base_url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_env(urls: ServiceUrls, **overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": urls.redis_url,
        "DATABASE_URL": urls.database_url,
        **overrides,
    }


def start_izana(
    command: list[str], env: dict[str, str], log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """`izana COMMAND`; its logs (stderr) go to `log` when given."""
    return subprocess.Popen([sys.executable, "-m", "shared.cli", *command], env=env, stderr=log)


def start_api(env: dict[str, str], log: IO[bytes] | None = None) -> ApiProcess:
    port = free_port()
    process = start_izana(["api", "--port", str(port)], env, log)
    return ApiProcess(process, f"http://127.0.0.1:{port}")


def wait_ready(api: ApiProcess, need_worker: bool = True) -> None:
    """Until `/readyz` says ready; without `need_worker`, until only a worker is missing."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise RuntimeError(f"API exited with status {api.process.returncode}")
        try:
            if _is_ready(httpx.get(f"{api.base_url}/readyz", timeout=1), need_worker):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"API at {api.base_url} was not ready within {STARTUP_SECONDS:.0f} s")


def _is_ready(readyz: httpx.Response, need_worker: bool) -> bool:
    if readyz.status_code == 200 or need_worker:
        return readyz.status_code == 200
    down = {name for name, state in readyz.json()["checks"].items() if state != "ok"}
    return down == {"workers"}


def stop_all(processes: Sequence[subprocess.Popen[bytes]], grace_seconds: float) -> None:
    """SIGTERM to every process at once, then SIGKILL any still running after the grace."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    stop_all([process], STOP_SECONDS)
