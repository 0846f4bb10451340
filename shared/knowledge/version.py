"""The knowledge-base version: cached answers are keyed on it, so new content retires them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import KnowledgePassage
from shared.knowledge.medquad import PassageRecord

KB_VERSION_KEY = "izana:kb:version"
UNVERSIONED = "0"


async def kb_version(redis: Redis) -> str:
    """The current version, or "0" when no load has recorded one."""
    version: str | None = await redis.get(KB_VERSION_KEY)
    return version or UNVERSIONED


async def set_kb_version(redis: Redis, version: str) -> None:
    await redis.set(KB_VERSION_KEY, version)


def content_version(records: Iterable[PassageRecord]) -> str:
    """A digest of every passage's id and content, independent of their order."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda record: record.id):
        digest.update(record.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


async def stored_content_version(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """The content version of the passages indexed in Postgres."""
    async with sessionmaker() as session:
        rows = await session.scalars(select(KnowledgePassage))
        return content_version(PassageRecord.model_validate(row.model_dump()) for row in rows)


async def record_kb_version(sessionmaker: async_sessionmaker[AsyncSession], redis: Redis) -> str:
    """Set the version from the indexed passages; returns it."""
    version = await stored_content_version(sessionmaker)
    await set_kb_version(redis, version)
    return version
