"""API and worker as separate processes on free ports, sharing the test Redis and Postgres."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from shared.embedded import ServiceUrls
from tests.constants import ROOT, TEST_SECRET

STARTUP_SECONDS = 30
WORDS_PER_SECOND = 40  # slow enough that a test can act while an answer is still streaming


@dataclass(frozen=True)
class ApiServer:
    process: subprocess.Popen[bytes]
    base_url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_env(urls: ServiceUrls) -> dict[str, str]:
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "SECRET_KEY": TEST_SECRET,
        "REDIS_URL": urls.redis_url,
        "DATABASE_URL": urls.database_url,
        "LOCAL_LLM_WORDS_PER_SECOND": str(WORDS_PER_SECOND),
        "LOG_LEVEL": "WARNING",
    }


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "shared.cli", *command], env=env, cwd=ROOT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(server: ApiServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"API exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("API did not become ready")


@pytest.fixture(scope="session")
def api_servers(service_urls: ServiceUrls, knowledge_base: int) -> Iterator[list[ApiServer]]:
    """Two API processes, so a stream can resume on a different replica."""
    env = process_env(service_urls)
    servers = []
    for _ in range(2):
        port = free_port()
        servers.append(
            ApiServer(start(["api", "--port", str(port)], env), f"http://127.0.0.1:{port}")
        )
    try:
        for server in servers:
            wait_healthy(server)
        yield servers
    finally:
        for server in servers:
            stop(server.process)


@pytest.fixture(scope="session")
def worker_process(service_urls: ServiceUrls, knowledge_base: int) -> Iterator[None]:
    process = start(["worker"], process_env(service_urls))
    try:
        yield
    finally:
        stop(process)


@pytest.fixture(scope="session")
def api(api_servers: list[ApiServer], worker_process: None) -> str:
    return api_servers[0].base_url
