"""API and worker as separate processes on free ports, sharing the test Redis and Postgres."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from izana.embedded import ServiceUrls
from izana.processes import ApiProcess, service_env, start_api, start_izana, stop, wait_ready
from tests.constants import NO_PROVIDERS, ROOT, TEST_SECRET

CHROMIUM = "/usr/bin/chromium"
WORDS_PER_SECOND = 40  # slow enough that a test can act while an answer is still streaming
ADMIN_PIN = "2468-test"
# Where the admin tests put files for the worker to ingest (beside the shipped data/).
INGEST_DIR = ROOT / ".izana" / "test" / "ingest"


def process_env(urls: ServiceUrls) -> dict[str, str]:
    return service_env(
        urls,
        **NO_PROVIDERS,
        ENVIRONMENT="test",
        SECRET_KEY=TEST_SECRET,
        LOCAL_LLM_WORDS_PER_SECOND=str(WORDS_PER_SECOND),
        LOG_LEVEL="WARNING",
        # The suite's own requests from 127.0.0.1 (and a rerun within the minute) stay under it.
        RATE_LIMIT_GENERAL="600/minute",
        RATE_LIMIT_ADMIN_LOGIN="600/minute",
        RATE_LIMIT_ADMIN="600/minute",
        RATE_LIMIT_ADMIN_PIN_FAILURES="600/minute",
        ADMIN_PIN=ADMIN_PIN,
        INGEST_ROOTS=json.dumps([str(ROOT / "data"), str(INGEST_DIR)]),
    )


@contextmanager
def logged_api_and_worker(env: dict[str, str], log_path: Path) -> Iterator[ApiProcess]:
    """An API process and a worker of their own, both logging into `log_path`, until the block
    ends."""
    with log_path.open("wb") as log:
        api = start_api(env, log)
        worker = start_izana(["worker"], env, log)
        try:
            wait_ready(api)
            yield api
        finally:
            stop(worker)
            stop(api.process)


@pytest.fixture(scope="session")
def api_servers(service_urls: ServiceUrls, worker_process: None) -> Iterator[list[ApiProcess]]:
    """Two API processes, so a stream can resume on a different replica (ready once the
    worker is)."""
    servers = [start_api(process_env(service_urls)) for _ in range(2)]
    try:
        for server in servers:
            wait_ready(server)
        yield servers
    finally:
        for server in servers:
            stop(server.process)


@pytest.fixture(scope="session")
def worker_process(service_urls: ServiceUrls, knowledge_base: int) -> Iterator[None]:
    process = start_izana(["worker"], process_env(service_urls))
    try:
        yield
    finally:
        stop(process)


@pytest.fixture(scope="session")
def api(api_servers: list[ApiProcess], worker_process: None) -> str:
    return api_servers[0].base_url


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, driven by Playwright (no browser download)."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        await launched.close()
