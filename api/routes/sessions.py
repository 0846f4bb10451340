"""Anonymous sessions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.deps import SESSION_ERRORS, ResourcesDep, SessionDep, SessionLookupDep
from api.error_docs import error_responses
from api.ratelimit import LIMIT_ERRORS
from shared.sessions.erasure import erase_session
from shared.sessions.service import create_session

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


class SessionOut(BaseModel):
    session_id: uuid.UUID
    token: str
    expires_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(*LIMIT_ERRORS))
async def new_session(resources: ResourcesDep) -> SessionOut:
    """Start an anonymous session; send the token as `Authorization: Bearer <token>`."""
    ttl = timedelta(days=resources.settings.session_ttl_days)
    issued = await create_session(resources.sessionmaker, ttl)
    return SessionOut(
        session_id=issued.session.id, token=issued.token, expires_at=issued.session.expires_at
    )


@router.delete(
    "/current",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(*LIMIT_ERRORS, *SESSION_ERRORS),
)
async def delete_session(
    session: SessionDep, resources: ResourcesDep, sessions: SessionLookupDep
) -> Response:
    """Erase this session and everything in it: conversations, messages, blood-work reports and
    their uploads, and the jobs' records and events. Running jobs are cancelled; the token stops
    working. A failed erasure (503) can be retried with the same token."""
    await erase_session(resources, session.id)
    await sessions.erased(session.id)  # every API process forgets it before this answers
    return Response(status_code=status.HTTP_204_NO_CONTENT)
