"""Request id and access log, as pure ASGI so streamed (SSE) responses pass straight through;
and the request's trace span when the process traces."""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.log import request_id_var
from shared.observability.tracing import tracer_provider

log = logging.getLogger("izana.access")

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
