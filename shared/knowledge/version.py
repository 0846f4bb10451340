"""The knowledge-base version: cached answers are keyed on it, so new content retires them, and
each worker's in-memory lexical index reloads when it changes."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import DEFAULT_COLLECTION, KnowledgeDocument

KB_VERSION_KEY = "izana:kb:version"
UNVERSIONED = "0"


def version_key(collection: str) -> str:
    return KB_VERSION_KEY if collection == DEFAULT_COLLECTION else f"{KB_VERSION_KEY}:{collection}"


async def kb_version(redis: Redis, collection: str = DEFAULT_COLLECTION) -> str:
    """The current version, or "0" when no ingestion has recorded one."""
    version: str | None = await redis.get(version_key(collection))
    return version or UNVERSIONED


async def set_kb_version(redis: Redis, version: str, collection: str = DEFAULT_COLLECTION) -> None:
    await redis.set(version_key(collection), version)


async def documents_version(
    sessionmaker: async_sessionmaker[AsyncSession], collection: str = DEFAULT_COLLECTION
) -> str:
    """A digest of every ingested document's name and content hash in the collection."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(col(KnowledgeDocument.source_key), col(KnowledgeDocument.content_hash))
            .where(col(KnowledgeDocument.collection) == collection)
            .order_by(col(KnowledgeDocument.source_key))
        )
        digest = hashlib.sha256()
        for source_key, content_hash in rows.all():
            digest.update(f"{source_key}\x00{content_hash}\n".encode())
    return digest.hexdigest()[:16]


async def record_kb_version(
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    collection: str = DEFAULT_COLLECTION,
) -> str:
    """Set the collection's version from its documents; returns it."""
    version = await documents_version(sessionmaker, collection)
    await set_kb_version(redis, version, collection)
    return version
