"""Ingress rate limits: dependencies that count a request, a middleware that reports the count.

Limits are per client IP (general, admin login) or per session (chat, uploads). The client IP
is the peer address the ASGI server reports: X-Forwarded-For is not read here. Uvicorn replaces
the peer with the forwarded client only for proxies listed in FORWARDED_ALLOW_IPS.

A Redis failure is not swallowed: it reaches the app's handler, which logs it and answers 503.
Redis also holds the job queue, so nothing useful could be admitted without it anyway.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ResourcesDep, SessionDep
from api.errors import ApiError
from shared.config import Rate
from shared.resilience.sliding_window import RateDecision, SlidingWindowLimiter, limit_key

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Response headers the limits set; browsers on other origins may read them (CORS).
RATE_LIMIT_HEADERS = ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
_STATE_KEY = "rate_limit"  # in the request state: the decision the headers report


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def tightest(current: RateDecision | None, new: RateDecision) -> RateDecision:
    """The decision to report: least remaining, then a refusal, then the later reset."""
    if current is None:
        return new
    return min(current, new, key=lambda d: (d.remaining, d.allowed, -d.reset_seconds))


def _retry_message(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many requests; retry in {seconds} {unit}."


async def _count(request: Request, name: str, identity: str, rate: Rate) -> None:
    limiter: SlidingWindowLimiter = request.app.state.rate_limiter
    decision = await limiter.hit(limit_key(name, identity), rate)
    setattr(request.state, _STATE_KEY, tightest(getattr(request.state, _STATE_KEY, None), decision))
    if not decision.allowed:
        retry_after = decision.retry_after_seconds
        raise ApiError(
            429,
            "rate_limited",
            _retry_message(retry_after),
            details={"policy": name, "limit": rate.limit, "window_seconds": rate.window_seconds},
            headers={"Retry-After": str(retry_after)},
        )


async def limit_general(request: Request, resources: ResourcesDep) -> None:
    """Every route but the probes and metrics, per client IP."""
    if request.scope["route"].path not in EXEMPT_PATHS:
        rate = resources.settings.rate_limit_general
        await _count(request, "general", client_ip(request), rate)


async def limit_chat(request: Request, session: SessionDep, resources: ResourcesDep) -> None:
    await _count(request, "chat", str(session.id), resources.settings.rate_limit_chat)


async def limit_upload(request: Request, session: SessionDep, resources: ResourcesDep) -> None:
    await _count(request, "upload", str(session.id), resources.settings.rate_limit_upload)


async def limit_admin_login(request: Request, resources: ResourcesDep) -> None:
    rate = resources.settings.rate_limit_admin_login
    await _count(request, "admin_login", client_ip(request), rate)


def _headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_seconds).encode()),
    ]


class RateLimitHeadersMiddleware:
    """Adds RateLimit-* headers to every response the limits counted, refused ones included.

    Pure ASGI, so streamed (SSE) responses pass straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = scope.get("state", {}).get(_STATE_KEY)
                if decision is not None:
                    message["headers"] = [*message.get("headers", []), *_headers(decision)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
