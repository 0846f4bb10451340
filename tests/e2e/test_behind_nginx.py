"""The web client and the event streams behind the compose file's proxy: Debian's nginx run with
deploy/nginx.conf in front of a real API process.

Only what ties the file to Docker is replaced: Docker's DNS resolver and the upstream's service
name (`api:8000 resolve`, which needs nginx 1.27.3; Debian has 1.22) become this API's address,
and the listening port and pid file are this test's. Every proxy setting is the file's own.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openai
import pytest
from playwright.async_api import Browser, expect

from tests.constants import ROOT, unique_question
from tests.e2e.client import new_session
from tests.e2e.web_client import ask, grew, last_answer, lengths_until_answered

NGINX = "/usr/sbin/nginx"
QUESTION = "What are the symptoms of polycystic ovary syndrome?"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which(NGINX) is None,
        reason="no nginx (apt-get install nginx-light; make test does)",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_config(api: str, port: int, pid: Path) -> str:
    """deploy/nginx.conf, pointed at `api` and listening on `port`."""
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = [
        (r"\n\s*resolver [^;]*;", ""),
        (r"\n\s*resolver_timeout [^;]*;", ""),
        (r"server api:8000 resolve", f"server {urlsplit(api).netloc}"),
        (r"listen 80;", f"listen 127.0.0.1:{port};"),
        (r"pid\s+[^;]*;", f"pid {pid};"),
    ]
    for pattern, replacement in replacements:
        config, count = re.subn(pattern, replacement, config)
        assert count == 1, f"deploy/nginx.conf no longer has {pattern!r}"
    return config


def _healthy(url: str) -> bool:
    """200 from `url`; False while nginx cannot answer yet (as `izana.processes.wait_ready`)."""
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def proxy(api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(local_config(api, port, directory / "nginx.pid"))
    started = subprocess.Popen(
        [NGINX, "-p", str(directory), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not _healthy(f"http://127.0.0.1:{port}/healthz"):
            assert time.monotonic() < deadline and started.poll() is None, started.stderr
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        started.terminate()
        started.wait(10)


async def test_events_pass_nginx_one_by_one(proxy: str) -> None:
    """Each token reaches the client while the answer is still being written: nginx does not
    hold the stream back until it ends."""
    reads: list[str] = []
    async with httpx.AsyncClient(base_url=proxy, timeout=60) as client:
        auth = await new_session(client, proxy)
        async with client.stream(
            "POST", "/v1/chat", json={"message": unique_question(QUESTION)},
            headers={**auth, "Accept": "text/event-stream"},
        ) as response:  # fmt: skip
            assert response.headers["content-type"].startswith("text/event-stream")
            async for chunk in response.aiter_text():
                reads.append(chunk)
    with_tokens = [index for index, chunk in enumerate(reads) if "event: token" in chunk]
    ended = next(index for index, chunk in enumerate(reads) if "event: done" in chunk)
    assert len(with_tokens) >= 3 and with_tokens[0] < ended, [len(chunk) for chunk in reads]


async def test_the_web_client_streams_behind_nginx(proxy: str, browser: Browser) -> None:
    context = await browser.new_context(base_url=proxy)
    page = await context.new_page()
    await page.goto("/")
    await ask(page, unique_question(QUESTION))
    lengths = await lengths_until_answered(page)
    await expect(last_answer(page).locator(".citations a").first).to_be_visible()
    await context.close()
    assert grew(lengths), lengths


async def test_an_openai_stream_passes_nginx(proxy: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        token = (await new_session(client, proxy))["Authorization"].removeprefix("Bearer ")
    async with openai.AsyncOpenAI(api_key=token, base_url=f"{proxy}/v1", max_retries=0) as sdk:
        stream = await sdk.chat.completions.create(
            model="izana",
            messages=[{"role": "user", "content": unique_question(QUESTION)}],
            stream=True,
        )
        pieces = [chunk.choices[0].delta.content async for chunk in stream]
    assert len([piece for piece in pieces if piece]) > 1
