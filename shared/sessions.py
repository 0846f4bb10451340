"""Anonymous sessions: an opaque bearer token, stored only as its SHA-256, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.db.models import UserSession, utcnow

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: UserSession


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_session(
    sessionmaker: async_sessionmaker[AsyncSession], ttl: timedelta
) -> IssuedSession:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = UserSession(token_hash=hash_token(token), expires_at=utcnow() + ttl)
    async with sessionmaker() as db, db.begin():
        db.add(record)
    return IssuedSession(token=token, session=record)


async def find_session(
    sessionmaker: async_sessionmaker[AsyncSession], token: str, now: datetime | None = None
) -> UserSession | None:
    """The live session holding `token`, or None when unknown or expired."""
    async with sessionmaker() as db:
        record: UserSession | None = await db.scalar(
            select(UserSession).where(col(UserSession.token_hash) == hash_token(token))
        )
    if record is None or record.expires_at <= (now or utcnow()):
        return None
    return record
