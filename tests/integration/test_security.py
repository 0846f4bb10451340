"""The attacks of issue 17 on the real app, in process (its lifespan on the test Redis and
Postgres), each one refused. Each test is named after the finding it reproduces; those that
need real server processes are in tests/e2e/test_security.py."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer

from api import admin_auth, capability
from api.app import create_app
from api.ratelimit import PIN_FAILURES_KEY
from api.routes.bloodwork import MULTIPART_OVERHEAD_BYTES
from shared.config import Rate, Settings
from shared.jobs import new_job_id

pytestmark = pytest.mark.integration

ADMIN_PIN = "correct-horse-battery-staple"
MAX_UPLOAD = 100_000
FAILURES = Rate(3, 3600)
OLD_DEFAULT_SECRET = "dev-secret-change-me"


@pytest.fixture(scope="module")
def app(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The real app with its key left unset, as in development: generated under DATA_DIR."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    fields = settings.model_dump(exclude={"secret_key"})
    fields.update(
        data_dir=tmp_path_factory.mktemp("data"),
        admin_pin=ADMIN_PIN,
        bloodwork_max_bytes=MAX_UPLOAD,
        rate_limit_admin_pin_failures=FAILURES,
        body_read_timeout_seconds=0.5,
    )
    yield create_app(Settings(**fields, _env_file=None))
    root.handlers[:], root.level = handlers, level  # create_app configured the process's logging


def fresh_ip() -> str:
    """A client address no earlier request was counted for."""
    return "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))


@pytest.fixture(scope="module")
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, ip: str | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=(ip or fresh_ip(), 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def client(running: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(running) as http:
        yield http


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/sessions")
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def admin_auth_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/admin/login", json={"pin": ADMIN_PIN})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# Secret key


async def test_secret_key_defaults_to_dev_secret_change_me(
    running: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """An admin token and an events link signed with the old fixed key are both refused."""
    forged_admin = URLSafeTimedSerializer(OLD_DEFAULT_SECRET, salt=admin_auth.SALT).dumps(
        admin_auth.SUBJECT
    )
    refused_admin = await client.post(
        "/v1/admin/kb/reindex", json={}, headers={"Authorization": f"Bearer {forged_admin}"}
    )
    accepted = await client.post("/v1/chat", json={"message": "What is AMH?"}, headers=auth)
    job_id = accepted.json()["job_id"]
    forged_link = URLSafeTimedSerializer(OLD_DEFAULT_SECRET, salt=capability.SALT).dumps(job_id)
    refused_link = await client.get(f"/v1/jobs/{job_id}/events?token={forged_link}")
    await client.delete(f"/v1/jobs/{job_id}", headers=auth)
    assert refused_admin.status_code == 401
    assert refused_admin.json()["error"]["code"] == "admin_token_invalid"
    assert refused_link.status_code == 403
    assert refused_link.json()["error"]["code"] == "events_token_invalid"
    key = running.state.resources.settings.secret_key.get_secret_value()
    assert len(key) >= 32 and key != OLD_DEFAULT_SECRET


# Admin PIN


async def test_no_global_cap_on_pin_failures(running: FastAPI) -> None:
    """Wrong PINs from ever new addresses: past the cap of all clients together, every login
    is refused, the right PIN included (so that guessing on cannot tell a hit)."""
    redis = running.state.resources.redis
    await redis.delete(PIN_FAILURES_KEY)
    try:
        statuses = []
        for _ in range(FAILURES.limit):
            async with client_for(running) as client:
                wrong = await client.post("/v1/admin/login", json={"pin": "0000"})
                statuses.append(wrong.status_code)
        async with client_for(running) as client:
            right = await client.post("/v1/admin/login", json={"pin": ADMIN_PIN})
    finally:
        await redis.delete(PIN_FAILURES_KEY)
    assert statuses == [401] * FAILURES.limit
    assert right.status_code == 429, right.text
    assert right.json()["error"]["details"]["policy"] == "admin_pin_failures"
    assert int(right.headers["retry-after"]) >= 1


async def test_admin_routes_are_not_limited(running: FastAPI) -> None:
    rate = running.state.resources.settings.rate_limit_admin
    async with client_for(running) as client:
        auth = await admin_auth_headers(client)  # one admin request
        url = f"/v1/admin/kb/jobs/{new_job_id()}"
        admitted = [await client.get(url, headers=auth) for _ in range(rate.limit - 1)]
        statuses = {response.status_code for response in admitted}
        refused = await client.get(url, headers=auth)
    assert statuses == {404}
    assert refused.status_code == 429
    assert refused.json()["error"]["details"] == {
        "policy": "admin", "limit": rate.limit, "window_seconds": rate.window_seconds,
    }  # fmt: skip


# Uploads and input


async def test_a_chunked_upload_is_spooled_whole_before_the_size_limit(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    """A body without Content-Length is refused once it passes the limit, not read to its end."""
    chunk = b"x" * 16_384
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="r.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        )
        for _ in range(12_800):  # 200 MB
            sent += len(chunk)
            yield chunk

    headers = {**auth, "Content-Type": "multipart/form-data; boundary=b"}
    response = await client.post("/v1/bloodwork", content=body(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "file_too_large"
    assert sent <= MAX_UPLOAD + MULTIPART_OVERHEAD_BYTES + len(chunk)


@pytest.mark.parametrize(
    "message", [b'"What is \\u0000 AMH?"', b'"\\ud800 AMH"', b'"AMH \\udfff"'],
    ids=["nul", "lone high surrogate", "lone low surrogate"],
)  # fmt: skip
async def test_a_nul_byte_or_a_lone_surrogate_gives_500(
    client: httpx.AsyncClient, auth: dict[str, str], message: bytes
) -> None:
    response = await client.post(
        "/v1/chat",
        content=b'{"message": ' + message + b"}",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path", ["data/\\u0000/x.md", "data/\\udc80.md"], ids=["nul", "surrogate"])
async def test_a_nul_byte_in_a_reindex_path_gives_500(running: FastAPI, path: str) -> None:
    async with client_for(running) as client:
        auth = await admin_auth_headers(client)
        response = await client.post(
            "/v1/admin/kb/reindex",
            content=b'{"paths": ["' + path.encode() + b'"]}',
            headers={**auth, "Content-Type": "application/json"},
        )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "paths.0"


async def test_there_is_no_read_timeout_on_request_bodies(client: httpx.AsyncClient) -> None:
    """A body that stops coming is answered 408 (BODY_READ_TIMEOUT_SECONDS is 0.5 here)."""

    async def stalled() -> AsyncIterator[bytes]:
        yield b'{"message": '
        await asyncio.Event().wait()  # never sends the rest
        yield b""

    response = await client.post(
        "/v1/chat", content=stalled(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 408
    assert response.json()["error"]["code"] == "request_timeout"


# Headers


SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy")


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/healthz"), ("get", "/openapi.json"), ("post", "/v1/chat"), ("get", "/nowhere")],
)
async def test_no_security_headers(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "strict-transport-security" not in response.headers  # plain HTTP, not production


async def test_no_security_headers_on_an_unexpected_error(running: FastAPI) -> None:
    """Even a 500, which Starlette answers outside the app's middleware, has them."""

    async def fails() -> None:
        raise RuntimeError("a bug")

    running.add_api_route("/test-only/fails", fails)
    transport = httpx.ASGITransport(running, raise_app_exceptions=False, client=(fresh_ip(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/test-only/fails")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_hsts_behind_tls(running: FastAPI) -> None:
    transport = httpx.ASGITransport(running, client=(fresh_ip(), 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_docs_load_swagger_from_a_cdn_without_integrity(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200 and asset.content, source
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "unsafe-inline" not in policy.split(";")[1]
    assert page.headers["x-frame-options"] == "DENY"
    assert (await client.get("/redoc")).status_code == 404  # it would load from a CDN
