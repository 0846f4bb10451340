"""Anonymous sessions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, status
from pydantic import BaseModel

from api.deps import ResourcesDep
from shared.sessions import create_session

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


class SessionOut(BaseModel):
    session_id: uuid.UUID
    token: str
    expires_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED)
async def new_session(resources: ResourcesDep) -> SessionOut:
    """Start an anonymous session; send the token as `Authorization: Bearer <token>`."""
    ttl = timedelta(days=resources.settings.session_ttl_days)
    issued = await create_session(resources.sessionmaker, ttl)
    return SessionOut(
        session_id=issued.session.id, token=issued.token, expires_at=issued.session.expires_at
    )
