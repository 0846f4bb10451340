"""Request dependencies as Annotated aliases.

All are `async def`: FastAPI runs plain `def` dependencies in a thread pool, a hop per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer

from api.capability import EventsCapability
from api.errors import SessionInvalid, Unauthorized, UnsupportedMediaType
from api.sse.hub import StreamHub
from api.sse.slots import StreamSlots
from shared.db.models import UserSession
from shared.resources import Resources
from shared.sessions.service import SessionLookup


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_hub(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.hub
    return hub


async def get_stream_slots(request: Request) -> StreamSlots:
    slots: StreamSlots = request.app.state.stream_slots
    return slots


async def get_sessions(request: Request) -> SessionLookup:
    sessions: SessionLookup = request.app.state.sessions
    return sessions


async def get_capability(request: Request) -> EventsCapability:
    capability: EventsCapability = request.app.state.capability
    return capability


ResourcesDep = Annotated[Resources, Depends(get_resources)]
HubDep = Annotated[StreamHub, Depends(get_hub)]
StreamSlotsDep = Annotated[StreamSlots, Depends(get_stream_slots)]
CapabilityDep = Annotated[EventsCapability, Depends(get_capability)]
SessionLookupDep = Annotated[SessionLookup, Depends(get_sessions)]


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized.malformed_header()
    return token.strip()


class BearerToken(HTTPBearer):
    """The `Authorization: Bearer` token, or None without the header; in the schema, a bearer
    security scheme (the Authorize button of /docs). A malformed header is 401 `unauthorized`
    with this API's error body, where FastAPI's own would answer 403 `{"detail": ...}`."""

    def __init__(self, scheme_name: str, description: str) -> None:
        super().__init__(scheme_name=scheme_name, description=description, auto_error=False)

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return bearer_token(request.headers.get("authorization"))


SESSION_TOKEN = BearerToken(
    "session", "The token `POST /v1/sessions` returned, sent as `Authorization: Bearer <token>`."
)


async def optional_session(
    sessions: SessionLookupDep, token: Annotated[str | None, Depends(SESSION_TOKEN)]
) -> UserSession | None:
    if token is None:
        return None
    session = await sessions.find(token)
    if session is None:
        raise SessionInvalid
    return session


async def current_session(
    session: Annotated[UserSession | None, Depends(optional_session)],
) -> UserSession:
    if session is None:
        raise Unauthorized
    return session


OptionalSessionDep = Annotated[UserSession | None, Depends(optional_session)]
SessionDep = Annotated[UserSession, Depends(current_session)]
# What a route with either one can answer with.
SESSION_ERRORS = (Unauthorized, SessionInvalid)


async def require_json(
    # The body's media type: described by the route's request body, not as a parameter.
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType
