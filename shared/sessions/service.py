"""Anonymous sessions: an opaque bearer token, stored only as its SHA-256, with an expiry.

An API process remembers the sessions it found for a short while (`SessionLookup`), so most
requests cost no Postgres query. Erasing a session is announced on a Redis channel that every
API process follows; a process uses what it remembers only while it follows that channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.db.models import UserSession, utcnow

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
# Every erasure is published here (the session id); every API process subscribes.
ERASED_CHANNEL = "izana:sessions:erased"
REMEMBER_SECONDS = 30.0
REMEMBER_AT_MOST = 10_000
RESUBSCRIBE_DELAY_SECONDS = 0.5


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


@dataclass(frozen=True)
class _Remembered:
    session: UserSession
    until: float  # monotonic time after which Postgres is asked again


class SessionLookup:
    """`find_session` that remembers recent answers, for one API process.

    A remembered session is used for at most `remember_seconds`, never after its expiry, and
    only while the process follows `ERASED_CHANNEL`: Redis has written an erasure's
    announcement to every follower's socket before the erasing request is answered, so a
    follower drops the session as soon as its event loop reads that socket (a request that
    races the announcement on another socket may still be served from memory). Whatever a
    stale entry might still allow, a session's rows cannot outlive it: conversations reference
    the session row, so a question of an erased session fails its insert.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        remember_seconds: float = REMEMBER_SECONDS,
        remember_at_most: int = REMEMBER_AT_MOST,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._remember_seconds = remember_seconds
        self._remember_at_most = remember_at_most
        self._by_hash: dict[str, _Remembered] = {}
        self._erasures = 0  # announcements seen: a lookup that raced one is not remembered
        self._following = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow_erasures(), name="session-erasures")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def find(self, token: str) -> UserSession | None:
        """The live session holding `token`, or None when unknown, expired or erased."""
        token_hash = hash_token(token)
        remembered = self._by_hash.get(token_hash)
        if remembered is not None and self._following and remembered.until > time.monotonic():
            return remembered.session if remembered.session.expires_at > utcnow() else None
        erasures = self._erasures
        session = await find_session(self._sessionmaker, token)
        if session is not None and self._following and erasures == self._erasures:
            self._remember(token_hash, session)
        return session

    async def erased(self, session_id: uuid.UUID) -> None:
        """Announce an erasure to every API process (this one included)."""
        self._forget(str(session_id))
        await self._redis.publish(ERASED_CHANNEL, str(session_id))

    def _remember(self, token_hash: str, session: UserSession) -> None:
        if len(self._by_hash) >= self._remember_at_most:
            del self._by_hash[next(iter(self._by_hash))]  # the oldest
        until = time.monotonic() + self._remember_seconds
        self._by_hash[token_hash] = _Remembered(session, until)

    def _forget(self, session_id: str) -> None:
        self._erasures += 1
        gone = [key for key, entry in self._by_hash.items() if str(entry.session.id) == session_id]
        for key in gone:
            del self._by_hash[key]

    def _forget_all(self) -> None:
        self._erasures += 1
        self._following = False
        self._by_hash.clear()

    async def _follow_erasures(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(ERASED_CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            self._following = True
                        elif message["type"] == "message":
                            self._forget(str(message["data"]))
            except (RedisConnectionError, RedisTimeoutError, OSError):
                log.warning("lost the session erasure channel; resubscribing")
            finally:
                self._forget_all()  # announcements may be missed until subscribed again
            await asyncio.sleep(RESUBSCRIBE_DELAY_SECONDS)
