"""Starts, supervises and stops `izana api` / `izana worker` child processes (dev mode, tests,
benchmarks)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

import httpx

from izana.embedded import ServiceUrls

log = logging.getLogger(__name__)

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
    return subprocess.Popen([sys.executable, "-m", "izana.cli", *command], env=env, stderr=log)


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


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before restarting a child that died.

    A child that dies soon after it started (within `stable_seconds`) waits twice as long as
    the time before, up to `max_delay_seconds`, so a child that cannot start does not spin; one
    that ran for a while is restarted after `first_delay_seconds` again.
    """

    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    stable_seconds: float = 30.0

    def delay(self, quick_deaths: int) -> float:
        """The wait before a restart, after `quick_deaths` deaths in a row soon after start."""
        doubled = self.first_delay_seconds * 2.0 ** max(quick_deaths - 1, 0)
        return min(doubled, self.max_delay_seconds)


@dataclass
class SupervisedChild:
    name: str
    command: list[str]  # `izana` arguments
    process: subprocess.Popen[bytes]
    started_at: float
    quick_deaths: int = 0
    restart_at: float | None = None  # set while the child is dead and waiting to be restarted


@dataclass(frozen=True)
class Restart:
    """A restart the supervisor scheduled (kept, so dev tooling and tests can see the backoff)."""

    child: str
    exit_code: int
    delay_seconds: float


@dataclass
class Supervisor:
    """Runs `izana` children (e.g. the API and a worker) and restarts any that dies, with a
    backoff for one that keeps dying at once. `check()` is one pass; `watch()` loops on it."""

    commands: dict[str, list[str]]
    env: dict[str, str]
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    children: dict[str, SupervisedChild] = field(default_factory=dict)
    restarts: list[Restart] = field(default_factory=list)

    def start(self) -> None:
        for name, command in self.commands.items():
            self.children[name] = SupervisedChild(
                name, command, start_izana(command, self.env), time.monotonic()
            )

    def check(self) -> None:
        """Schedule a restart for each child that died; restart those whose wait is over."""
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_at is None and child.process.poll() is not None:
                self._schedule_restart(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                self._restart(child, now)

    def watch(self, poll_seconds: float = 0.5) -> None:
        """Supervise until interrupted (Ctrl-C, or SIGTERM turned into SystemExit)."""
        while True:
            self.check()
            time.sleep(poll_seconds)

    def stop(self, grace_seconds: float) -> None:
        stop_all(self.processes, grace_seconds)

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [child.process for child in self.children.values()]

    def _schedule_restart(self, child: SupervisedChild, now: float) -> None:
        died_quickly = now - child.started_at < self.policy.stable_seconds
        child.quick_deaths = child.quick_deaths + 1 if died_quickly else 1
        delay = self.policy.delay(child.quick_deaths)
        child.restart_at = now + delay
        exit_code = child.process.returncode
        self.restarts.append(Restart(child.name, exit_code, delay))
        log.warning(
            "child process died; restarting it",
            extra={"child": child.name, "pid": child.process.pid, "exit_code": exit_code,
                   "restart_in_seconds": delay, "deaths_in_a_row": child.quick_deaths},
        )  # fmt: skip

    def _restart(self, child: SupervisedChild, now: float) -> None:
        child.process = start_izana(child.command, self.env)
        child.started_at, child.restart_at = now, None
        log.info("child process restarted", extra={"child": child.name, "pid": child.process.pid})


def wait_until_ready(
    supervisor: Supervisor, base_url: str, timeout_seconds: float, poll_seconds: float = 0.5
) -> bool:
    """Supervise until the API's `/readyz` answers 200 (True) or the time is up (False)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        supervisor.check()
        if _answers_ready(base_url):
            return True
        time.sleep(poll_seconds)
    return False


def _answers_ready(base_url: str) -> bool:
    try:
        return _is_ready(httpx.get(f"{base_url}/readyz", timeout=2), need_worker=True)
    except httpx.TransportError:
        return False
