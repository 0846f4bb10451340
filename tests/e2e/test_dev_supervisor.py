"""`izana dev` keeps its API and worker running: a child that dies (a real SIGKILL) is started
again, one that cannot start is retried with a growing backoff, and Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from izana.embedded import ServiceUrls
from izana.processes import RestartPolicy, Supervisor, free_port
from tests.constants import unique_question
from tests.e2e.client import ask, new_session, read_events
from tests.e2e.conftest import process_env

pytestmark = pytest.mark.e2e

READY_LINE = "Izana is running"
POLLS = 600  # x 0.1 s: a bound on waiting for a restart, not a timing assertion
QUICK_POLICY = RestartPolicy(first_delay_seconds=0.1, max_delay_seconds=10, stable_seconds=120)


def poll_until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(POLLS):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def child_pids(dev: subprocess.Popen[str], command: str) -> list[int]:
    """Pids of `izana dev`'s live children running `izana <command>`."""
    return [
        child.pid
        for child in psutil.Process(dev.pid).children()
        if child.status() != psutil.STATUS_ZOMBIE and command in child.cmdline()[3:4]
    ]


def answers_health(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def log_lines(path: Path) -> list[dict[str, object]]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


@pytest.fixture
def izana_dev(
    service_urls: ServiceUrls, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`izana dev` on a free port over the test Redis and Postgres, in its own session (as a
    terminal runs it), once it printed its URL; its logs go to a file."""
    port, log_path = free_port(), tmp_path / "dev.log"
    with log_path.open("wb") as log:
        dev = subprocess.Popen(
            [sys.executable, "-m", "izana.cli", "dev", "--port", str(port)],
            env=process_env(service_urls) | {"LOG_LEVEL": "INFO"},
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True,
        )  # fmt: skip
    try:
        assert dev.stdout is not None
        for line in dev.stdout:
            if READY_LINE in line:
                break
        assert dev.poll() is None, log_path.read_text()
        yield dev, f"http://127.0.0.1:{port}", log_path
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()


@pytest.mark.timeout(600)
async def test_izana_dev_restarts_a_killed_worker_and_api_and_stops_on_ctrl_c(
    izana_dev: tuple[subprocess.Popen[str], str, Path], knowledge_base: int
) -> None:
    dev, base_url, log_path = izana_dev
    [worker], [api] = child_pids(dev, "worker"), child_pids(dev, "api")

    os.kill(worker, signal.SIGKILL)
    poll_until(lambda: child_pids(dev, "worker") not in ([], [worker]), "a new worker")
    async with httpx.AsyncClient(timeout=60) as client:  # the new worker answers
        auth = await new_session(client, base_url)
        accepted = await ask(client, base_url, auth, unique_question("What is IVF?"))
        events = await read_events(client, base_url + accepted["events_url"])
    assert events[-1].type == "done"

    os.kill(api, signal.SIGKILL)
    poll_until(lambda: child_pids(dev, "api") not in ([], [api]), "a new API process")
    poll_until(lambda: answers_health(base_url), "the new API answering")
    assert dev.poll() is None and child_pids(dev, "worker") != [worker]

    children = psutil.Process(dev.pid).children()
    os.killpg(dev.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the whole group
    dev.wait(timeout=120)
    assert not any(child.is_running() and child.status() != "zombie" for child in children)
    died = [
        line
        for line in log_lines(log_path)
        if line["message"] == "child process died; restarting it"
    ]
    assert [(line["child"], line["exit_code"]) for line in died] == [
        ("worker", -signal.SIGKILL),
        ("api", -signal.SIGKILL),
    ]


def checked(supervisor: Supervisor) -> int:
    """One supervision pass; the restarts scheduled so far."""
    supervisor.check()
    return len(supervisor.restarts)


@pytest.mark.timeout(300)
def test_a_child_that_keeps_dying_at_once_is_restarted_with_a_growing_backoff(
    service_urls: ServiceUrls,
) -> None:
    with socket.socket() as taken:  # the API cannot bind this port, so it exits at start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        supervisor = Supervisor(
            {"api": ["api", "--port", str(port)]}, process_env(service_urls), QUICK_POLICY
        )
        supervisor.start()
        try:
            poll_until(lambda: checked(supervisor) >= 4, "4 restarts")
        finally:
            supervisor.stop(grace_seconds=30)
    restarts = supervisor.restarts[:4]
    assert [restart.delay_seconds for restart in restarts] == [0.1, 0.2, 0.4, 0.8]
    assert all(restart.exit_code not in (0, None) for restart in restarts)
