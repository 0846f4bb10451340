"""The knowledge-base version: cached answers are keyed on it, so new content retires them, and
each worker's in-memory lexical index reloads when it changes. An answer reads it once and keeps
it (`pinned_kb_version`): its cache key, retrieval and audit then name one version, in one
Redis round trip instead of one per reader."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import DEFAULT_COLLECTION, KnowledgeDocument

KB_VERSION_KEY = "izana:kb:version"
UNVERSIONED = "0"


def version_key(collection: str) -> str:
    return KB_VERSION_KEY if collection == DEFAULT_COLLECTION else f"{KB_VERSION_KEY}:{collection}"


# The default collection's version as the running answer read it, if it pinned one.
_pinned: ContextVar[str | None] = ContextVar("pinned_kb_version", default=None)


async def kb_version(redis: Redis, collection: str = DEFAULT_COLLECTION) -> str:
    """The current version, or "0" when no ingestion has recorded one; within
    `pinned_kb_version`, the version pinned for the default collection."""
    pinned = _pinned.get()
    if pinned is not None and collection == DEFAULT_COLLECTION:
        return pinned
    version: str | None = await redis.get(version_key(collection))
    return version or UNVERSIONED


@contextmanager
def pinned_kb_version(version: str) -> Iterator[None]:
    """Within this block (and the tasks it starts), `kb_version` of the default collection is
    `version`, without reading Redis."""
    token = _pinned.set(version)
    try:
        yield
    finally:
        _pinned.reset(token)


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
