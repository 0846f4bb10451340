"""Keeping a remote vector index (Pinecone) in step with the passages in Postgres.

Postgres stays the source of truth: after a file's transaction commits, its new or changed
passages are upserted into the namespace of their category and the ones it no longer has are
deleted. Upserts and deletes are idempotent, so a failed sync is repaired by ingesting again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.knowledge.ingest.passages import IndexedPassage
from shared.providers.vectorstore.base import Passage


class VectorMirror(Protocol):
    async def upsert(self, passages: Sequence[Passage], namespace: str) -> None: ...

    async def delete(self, ids: Sequence[str], namespace: str) -> None: ...


@dataclass(frozen=True)
class StoredPassage:
    id: str
    category: str
    content_hash: str


async def sync_mirror(
    mirror: VectorMirror, before: Sequence[StoredPassage], after: Sequence[IndexedPassage]
) -> None:
    """Upsert what is new or changed (by namespace), then delete what is gone or moved."""
    unchanged = {(p.id, p.category, p.content_hash) for p in before}
    upserts: defaultdict[str, list[Passage]] = defaultdict(list)
    for passage in after:
        record = passage.record
        if (record.id, record.category, passage.content_hash) not in unchanged:
            upserts[record.category].append(record)
    kept = {(p.record.id, p.record.category) for p in after}
    deletes: defaultdict[str, list[str]] = defaultdict(list)
    for old in before:
        if (old.id, old.category) not in kept:
            deletes[old.category].append(old.id)
    for namespace, passages in upserts.items():
        await mirror.upsert(passages, namespace)
    for namespace, ids in deletes.items():
        await mirror.delete(ids, namespace)
