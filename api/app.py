"""The FastAPI application factory and its lifespan."""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from api.admin_audit import AdminAuditMiddleware
from api.capability import EventsCapability
from api.docs_ui import install_docs
from api.error_docs import catalogue_table
from api.error_handlers import install_error_handlers
from api.middleware import (
    BodyReadTimeoutMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    trace_requests,
)
from api.ratelimit import RATE_LIMIT_HEADERS, RateLimitHeadersMiddleware, limit_general
from api.routes import (
    admin,
    admin_dashboards,
    admin_gold,
    bloodwork,
    chat,
    completions,
    conversations,
    feedback,
    health,
    jobs,
    languages,
    sessions,
)
from api.sse.hub import StreamHub
from api.sse.slots import StreamSlots
from api.web.serve import install_web_client
from shared.config import Environment, Settings, get_settings
from shared.log import configure_logging
from shared.observability.metrics import SCRAPED
from shared.observability.tracing import configure_tracing
from shared.resilience.sliding_window import SlidingWindowLimiter
from shared.resources import open_resources
from shared.sessions.service import SessionLookup
from shared.streamed_jobs.queue import queue_metrics

DESCRIPTION = f"""Every error is answered with the same body, `ErrorBody`:
`{{"error": {{"code", "message", "details"?}}}}`. Each route lists the codes it can answer with.

{catalogue_table()}
"""


def operation_id(route: APIRoute) -> str:
    """A route's operationId: its function's name ("chat", "upload_bloodwork"), which changes
    only when the route does, where FastAPI's own joins the name, path and method."""
    return route.name


class IzanaApi(FastAPI):
    """The app, its security headers outermost: outside Starlette's ServerErrorMiddleware, which
    answers an unexpected error (500) outside every middleware added to the app. They wrap the
    app's call rather than its middleware stack, whose outermost layer OpenTelemetry's FastAPI
    instrumentation expects to be ServerErrorMiddleware."""

    def __init__(self, *, always_hsts: bool, **options: Any) -> None:
        super().__init__(**options)
        unsecured = functools.partial(FastAPI.__call__, self)
        self._secured = SecurityHeadersMiddleware(unsecured, always_hsts=always_hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._secured(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            hub = StreamHub(resources.redis, settings.sse_client_queue_size)
            await hub.start()
            sessions = SessionLookup(resources.sessionmaker, resources.redis)
            await sessions.start()
            slots = StreamSlots(resources.redis, settings.sse_max_streams_per_session)
            await slots.start()
            app.state.resources = resources
            app.state.hub = hub
            app.state.stream_slots = slots
            app.state.sessions = sessions
            app.state.rate_limiter = SlidingWindowLimiter(resources.redis)
            SCRAPED.add("queue", functools.partial(queue_metrics, resources.redis))
            app.state.capability = EventsCapability(
                settings.secret_key.get_secret_value(), settings.events_url_ttl_seconds
            )
            # What startup built (models, routes, clients) lives as long as the process: keep it
            # out of every full garbage collection, whose pauses would stall all SSE streams.
            gc.freeze()
            try:
                yield
            finally:
                await slots.stop()
                await sessions.stop()
                await hub.stop()

    configure_logging(settings.log_level)
    app = IzanaApi(
        always_hsts=settings.environment is Environment.PRODUCTION,
        title="Izana API",
        version="0.1.0",
        summary="Fertility and reproductive-health assistant: chat jobs streamed over SSE.",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(limit_general)],
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(app)
    app.add_middleware(AdminAuditMiddleware)  # inside the request id, which it records
    if configure_tracing("izana-api", settings.otel_exporter_otlp_endpoint):
        trace_requests(app)
    app.add_middleware(
        BodyReadTimeoutMiddleware, timeout_seconds=settings.body_read_timeout_seconds
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-None-Match",
                "Last-Event-ID",
                "X-Request-ID",
            ],
            expose_headers=[
                "X-Request-ID",
                "X-Job-Id",
                "X-Conversation-Id",
                "Location",
                "ETag",
                *RATE_LIMIT_HEADERS,
            ],
        )
    for router in (
        health.router,
        sessions.router,
        languages.router,
        chat.router,
        completions.router,
        jobs.router,
        conversations.router,
        feedback.router,
        bloodwork.router,
        admin.router,
        admin_dashboards.router,
        admin_gold.router,
    ):
        app.include_router(router)
    install_docs(app)
    install_web_client(app)
    return app
