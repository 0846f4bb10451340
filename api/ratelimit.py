"""Ingress rate limits: dependencies that count a request, a middleware that reports the count.

Limits are per client IP (general, admin login) or per session (chat, uploads). A route's
per-session limit is counted with the general one, in one Redis round trip: per session means
per bearer token (a session has exactly one), so no session lookup comes first, and a request
refused by either limit is counted by neither. The client IP is the peer address the ASGI
server reports: X-Forwarded-For is not read here. Uvicorn replaces the peer with the forwarded
client only for proxies listed in FORWARDED_ALLOW_IPS.

A Redis failure is not swallowed: it reaches the app's handler, which logs it and answers 503.
Redis also holds the job queue, so nothing useful could be admitted without it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ResourcesDep
from api.errors import RateLimited, Unavailable
from shared.config import Rate, Settings
from shared.observability.metrics import RATE_LIMITED
from shared.resilience.sliding_window import RateDecision, SlidingWindowLimiter, limit_key

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# What a counted route can answer before anything else: refused, or Redis down (fail closed).
LIMIT_ERRORS = (RateLimited, Unavailable)
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


@dataclass(frozen=True)
class Limit:
    name: str  # the policy, as 429 names it
    identity: str  # who is counted: a client IP or a session's token
    rate: Rate


def _refused(policy: str, rate: Rate, decision: RateDecision) -> RateLimited:
    """The 429 of a limit that refused, counted by policy."""
    RATE_LIMITED.labels(policy=policy).inc()
    return RateLimited(
        decision.retry_after_seconds,
        policy=policy,
        limit=rate.limit,
        window_seconds=rate.window_seconds,
    )


async def _count(request: Request, limits: list[Limit]) -> None:
    """Count the request against every limit at once; 429 for the first that is full."""
    limiter: SlidingWindowLimiter = request.app.state.rate_limiter
    keyed = [(limit_key(limit.name, limit.identity), limit.rate) for limit in limits]
    decisions = await limiter.hit_all(keyed)
    reported = getattr(request.state, _STATE_KEY, None)
    for decision in decisions:
        reported = tightest(reported, decision)
    setattr(request.state, _STATE_KEY, reported)
    for limit, decision in zip(limits, decisions, strict=True):
        if not decision.allowed:
            raise _refused(limit.name, limit.rate, decision)


def session_token(authorization: str | None) -> str | None:
    """The bearer token, if the header carries one (a session has exactly one token)."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def limit_general(
    request: Request,
    resources: ResourcesDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """Every route but the probes and metrics, per client IP; with the route's per-session
    limit, if it has one, in the same round trip (before the session is looked up)."""
    route: APIRoute = request.scope["route"]
    if route.path in EXEMPT_PATHS:
        return
    settings = resources.settings
    limits = [Limit("general", client_ip(request), settings.rate_limit_general)]
    per_session, token = session_limit(route), session_token(authorization)
    if per_session is not None and token is not None:
        limits.append(Limit(per_session, token, session_rate(settings, per_session)))
    await _count(request, limits)


async def limit_chat() -> None:
    """Per session (chat questions and analyses): counted by `limit_general`."""


async def limit_upload() -> None:
    """Per session (blood-work uploads): counted by `limit_general`."""


# The per-session limits a route declares among its dependencies, by their policy name.
SESSION_LIMITS = {limit_chat: "chat", limit_upload: "upload"}


def session_rate(settings: Settings, name: str) -> Rate:
    return {"chat": settings.rate_limit_chat, "upload": settings.rate_limit_upload}[name]


def session_limit(route: APIRoute) -> str | None:
    """The per-session limit `route` declares, if any."""
    for dependency in route.dependant.dependencies:
        if dependency.call in SESSION_LIMITS:
            return SESSION_LIMITS[dependency.call]
    return None


async def limit_admin_login(request: Request, resources: ResourcesDep) -> None:
    rate = resources.settings.rate_limit_admin_login
    await _count(request, [Limit("admin_login", client_ip(request), rate)])


async def limit_admin(request: Request, resources: ResourcesDep) -> None:
    """Every admin route, per client IP."""
    await _count(request, [Limit("admin", client_ip(request), resources.settings.rate_limit_admin)])


# Wrong PINs from every client together: one log, whoever sent them.
PIN_FAILURES = "admin_pin_failures"
PIN_FAILURES_KEY = limit_key(PIN_FAILURES, "all clients")


async def refuse_while_pins_fail(request: Request, settings: Settings) -> None:
    """429 for every login, the right PIN included, while the wrong PINs of all clients
    together have reached their limit (so guessing on cannot tell a hit)."""
    limiter: SlidingWindowLimiter = request.app.state.rate_limiter
    rate = settings.rate_limit_admin_pin_failures
    decision = await limiter.peek(PIN_FAILURES_KEY, rate)
    if not decision.allowed:
        raise _refused(PIN_FAILURES, rate, decision)


async def count_pin_failure(request: Request, settings: Settings) -> None:
    limiter: SlidingWindowLimiter = request.app.state.rate_limiter
    await limiter.hit(PIN_FAILURES_KEY, settings.rate_limit_admin_pin_failures)


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
