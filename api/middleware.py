"""Request id and access log, as pure ASGI so streamed (SSE) responses pass straight through;
and the request's trace span when the process traces."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.log import request_id_var
from shared.observability.tracing import tracer_provider

log = logging.getLogger("izana.access")

REQUEST_TIMEOUT_MESSAGE = "The request body did not arrive in time."
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        trace.get_current_span().set_attribute("izana.request_id", request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string: it may carry capabilities
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


# The request span's URL attributes, which would otherwise hold the query string.
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full")


def _path_only(span: Span, scope: Scope) -> None:
    """The path, never the query string: it may carry an events_url capability."""
    if span.is_recording():
        for name in _URL_ATTRIBUTES:
            span.set_attribute(name, scope["path"])


def trace_requests(app: FastAPI) -> None:
    """A span per HTTP request (none per SSE write), on the process's tracer provider."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider(),
        server_request_hook=_path_only,
        exclude_spans=["receive", "send"],
    )


# What a browser may do with an API response: nothing but read it (the docs page sets its own).
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Security headers on every response, streamed ones included.

    HSTS only where browsers honour it: on HTTPS (as seen directly, or as a trusted proxy
    reports with X-Forwarded-Proto) or always in production, which runs behind TLS.
    """

    def __init__(self, app: ASGIApp, *, always_hsts: bool) -> None:
        self.app = app
        self.always_hsts = always_hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = self.always_hsts or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", API_POLICY.encode()),
                    *([(b"strict-transport-security", HSTS)] if hsts else []),
                ]
                headers.extend((name, value) for name, value in wanted if name not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyReadTimeoutMiddleware:
    """A request body must arrive whole within `timeout_seconds` of the first read (slowloris).

    Only the body is timed: once it is complete, `receive` is passed through untouched, so a
    streamed response (SSE) can wait for the client's disconnect as long as it likes. A late
    body is answered 408 (`request_timeout`): the framework re-raises an HTTPException met while
    reading the body, and the app's handler maps it to the catalogue.
    """

    def __init__(self, app: ASGIApp, *, timeout_seconds: float) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout_seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, REQUEST_TIMEOUT_MESSAGE) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
