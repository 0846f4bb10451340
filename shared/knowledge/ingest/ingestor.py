"""`izana ingest`: files → passages in Postgres (+ vectors), all or nothing per file.

A file whose bytes are unchanged is skipped without parsing or embedding; a changed file's old
passages are replaced in the same transaction (vectors of passages whose content did not change
are reused, not recomputed). Bad files are reported and skipped; the rest is ingested.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import DEFAULT_COLLECTION, KnowledgeDocument, KnowledgePassage
from shared.knowledge.documents.errors import DocumentError
from shared.knowledge.documents.reader import read_document
from shared.knowledge.hybrid_store import DenseView, dense_views
from shared.knowledge.ingest.mirror import StoredPassage, VectorMirror, sync_mirror
from shared.knowledge.ingest.passages import IndexedPassage, document_passages
from shared.knowledge.ingest.progress import Progress, SilentProgress
from shared.knowledge.ingest.sources import SourceFile, source_files
from shared.knowledge.version import record_kb_version
from shared.providers.embeddings.base import Embedder
from shared.providers.vectorstore.pgvector import pgvector_installed, vector_literal
from shared.resilience.errors import ProviderFailure

# Part of every file's hash: bump it when parsing or chunking changes, so files re-index.
INDEX_FORMAT = "1"
INSERT_BATCH = 500
EMBED_BATCH = 64


@dataclass(frozen=True)
class FileOutcome:
    file: str
    status: str  # added | updated | unchanged | deleted | missing | failed
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    error: str | None = None

    def summary(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class IngestReport:
    collection: str
    version: str
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def embedded(self) -> int:
        return sum(outcome.embedded for outcome in self.files)

    @property
    def failed(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.status == "failed"]


class IngestConflict(Exception):
    """A passage id of the file already belongs to another document."""


def file_hash(data: bytes, models: Sequence[str], category: str | None = None) -> str:
    """Bytes, index format, forced category and embedding models: a change of any re-indexes
    the file (reusing the vectors it can)."""
    header = "\x00".join([INDEX_FORMAT, category or "", *models]).encode()
    return hashlib.sha256(header + b"\x00" + data).hexdigest()


class Ingestor:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        embedders: Sequence[Embedder],
        collection: str = DEFAULT_COLLECTION,
        category: str | None = None,
        progress: Progress | None = None,
        mirror: VectorMirror | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redis = redis
        self._views = dense_views(embedders)
        self._mirror = mirror
        self.collection = collection
        self._category = category
        self._progress = progress or SilentProgress()

    async def ingest(self, paths: Sequence[Path]) -> IngestReport:
        dense = bool(self._views) and await pgvector_installed(self._sessionmaker)
        outcomes: list[FileOutcome] = []
        try:
            for source in source_files(paths):
                outcome = await self._ingest_file(source, dense)
                self._progress.finish(source.key, outcome.summary())
                outcomes.append(outcome)
        finally:  # files committed before an unexpected error still count
            version = await record_kb_version(self._sessionmaker, self._redis, self.collection)
        return IngestReport(self.collection, version, outcomes)

    async def delete(self, paths: Sequence[Path]) -> IngestReport:
        outcomes: list[FileOutcome] = []
        try:
            for source in source_files(paths):
                outcome = await self._delete_file(source)
                self._progress.finish(source.key, outcome.summary())
                outcomes.append(outcome)
        finally:
            version = await record_kb_version(self._sessionmaker, self._redis, self.collection)
        return IngestReport(self.collection, version, outcomes)

    async def _delete_file(self, source: SourceFile) -> FileOutcome:
        async with self._sessionmaker() as session, session.begin():
            document = await self._document(session, source.key)
            before = await self._stored(session, document)
            if document is not None:
                await session.delete(document)
        if document is None:
            return FileOutcome(source.key, "missing")
        outcome = FileOutcome(source.key, "deleted", document.passages)
        return await self._mirrored(source, outcome, before, [])

    async def _document(self, session: AsyncSession, key: str) -> KnowledgeDocument | None:
        found = await session.scalars(
            select(KnowledgeDocument).where(
                col(KnowledgeDocument.collection) == self.collection,
                col(KnowledgeDocument.source_key) == key,
            )
        )
        return found.first()

    async def _ingest_file(self, source: SourceFile, dense: bool) -> FileOutcome:
        if source.duplicate:
            error = f"another file named {source.key} is in this run (documents are known by name)"
            return FileOutcome(str(source.path), "failed", error=error)
        try:
            data = await asyncio.to_thread(source.path.read_bytes)
        except OSError as error:
            return FileOutcome(
                source.key, "failed", error=f"cannot read the file: {error.strerror}"
            )
        models = [view.embedder.name for view in self._views] if dense else []
        content_hash = file_hash(data, models, self._category)
        async with self._sessionmaker() as session:
            existing = await self._document(session, source.key)
        if existing is not None and existing.content_hash == content_hash:
            return FileOutcome(source.key, "unchanged", existing.passages)
        try:
            parsed = await asyncio.to_thread(read_document, source.path)
            passages = document_passages(parsed, source.key, self._category)
            _check_unique(passages)
            kind = "qa" if isinstance(parsed, list) else parsed.kind
            before, (embedded, reused) = await self._replace(
                source, kind, content_hash, passages, dense
            )
        except (DocumentError, IngestConflict, ProviderFailure) as error:
            return FileOutcome(source.key, "failed", error=str(error))
        except DBAPIError as error:  # e.g. a field longer than its column: this file only
            reason = str(error.orig).splitlines()[0]
            return FileOutcome(source.key, "failed", error=f"could not be stored: {reason}")
        status = "updated" if existing else "added"
        outcome = FileOutcome(source.key, status, len(passages), embedded, reused)
        return await self._mirrored(source, outcome, before, passages)

    async def _mirrored(
        self,
        source: SourceFile,
        outcome: FileOutcome,
        before: list[StoredPassage],
        after: list[IndexedPassage],
    ) -> FileOutcome:
        """Bring the remote index in step; if it fails, the next ingest of the file retries."""
        if self._mirror is None:
            return outcome
        try:
            await sync_mirror(self._mirror, before, after)
        except ProviderFailure as failure:
            await self._forget_hash(source.key)
            error = f"stored, but the vector index was not updated ({failure}); ingest it again"
            return FileOutcome(source.key, "failed", outcome.passages, error=error)
        return outcome

    async def _forget_hash(self, key: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            document = await self._document(session, key)
            if document is not None:
                document.content_hash = ""

    async def _stored(
        self, session: AsyncSession, document: KnowledgeDocument | None
    ) -> list[StoredPassage]:
        """The document's passages as the mirror knows them (nothing without a mirror); after a
        failed sync (hash forgotten) every passage counts as changed, so all are sent again."""
        if self._mirror is None or document is None:
            return []
        synced = bool(document.content_hash)
        rows = await session.execute(
            select(
                col(KnowledgePassage.id),
                col(KnowledgePassage.category),
                col(KnowledgePassage.content_hash),
            ).where(col(KnowledgePassage.document_id) == document.id)
        )
        return [
            StoredPassage(pid, category, hash if synced else "")
            for pid, category, hash in rows.all()
        ]

    async def _replace(
        self,
        source: SourceFile,
        kind: str,
        content_hash: str,
        passages: list[IndexedPassage],
        dense: bool,
    ) -> tuple[list[StoredPassage], tuple[int, int]]:
        """Swap the file's passages in one transaction; returns the old passages (for the mirror)
        and the (embedded, reused) vector counts."""
        views = self._views if dense else []
        self._progress.start(source.key, len(passages) * max(1, len(views)))
        async with self._sessionmaker() as session, session.begin():
            hashes = [passage.embed_hash for passage in passages]
            reusable = [
                await view.index.stored_by_hash(session, self.collection, hashes) for view in views
            ]
            old = await self._document(session, source.key)
            before = await self._stored(session, old)
            if old is not None:
                await session.delete(old)
                await session.flush()
            await self._claim_ids(session, passages)
            document = KnowledgeDocument(
                collection=self.collection,
                source_key=source.key,
                kind=kind,
                title=passages[0].record.title,
                content_hash=content_hash,
                passages=len(passages),
            )
            session.add(document)
            await session.flush()
            await self._insert(session, document, passages)
            counts = [
                await self._write_vectors(session, view, passages, stored, n * len(passages))
                for n, (view, stored) in enumerate(zip(views, reusable, strict=True))
            ]
            if not views:
                self._progress.advance(len(passages))
        return before, (sum(e for e, _ in counts), sum(r for _, r in counts))

    async def _claim_ids(self, session: AsyncSession, passages: list[IndexedPassage]) -> None:
        """Refuse ids owned by another document; drop passages loaded before ingestion existed."""
        ids = [passage.record.id for passage in passages]
        in_collection = col(KnowledgePassage.collection) == self.collection
        for start in range(0, len(ids), INSERT_BATCH):
            batch = ids[start : start + INSERT_BATCH]
            owned = (
                await session.execute(
                    select(col(KnowledgePassage.id), col(KnowledgeDocument.source_key))
                    .join(
                        KnowledgeDocument, col(KnowledgeDocument.id) == KnowledgePassage.document_id
                    )
                    .where(in_collection, col(KnowledgePassage.id).in_(batch))
                )
            ).first()
            if owned is not None:
                raise IngestConflict(f"passage id {owned[0]!r} already belongs to {owned[1]}")
            await session.execute(
                delete(KnowledgePassage).where(in_collection, col(KnowledgePassage.id).in_(batch))
            )

    async def _insert(
        self, session: AsyncSession, document: KnowledgeDocument, passages: list[IndexedPassage]
    ) -> None:
        rows = [
            {
                **passage.record.content(),
                "collection": self.collection,
                "document_id": document.id,
                "content_hash": passage.content_hash,
                "embed_hash": passage.embed_hash,
            }
            for passage in passages
        ]
        for start in range(0, len(rows), INSERT_BATCH):
            await session.execute(
                insert(KnowledgePassage).values(rows[start : start + INSERT_BATCH])
            )

    async def _write_vectors(
        self,
        session: AsyncSession,
        view: DenseView,
        passages: list[IndexedPassage],
        reusable: dict[str, str],
        done_before: int,
    ) -> tuple[int, int]:
        """One view's vectors, computed in batches for texts that have none yet (each distinct
        text once); `done_before` counts the passages earlier views wrote (for progress)."""
        known = dict(reusable)
        embedded = dimensions = 0
        for start in range(0, len(passages), EMBED_BATCH):
            batch = passages[start : start + EMBED_BATCH]
            fresh = {p.embed_hash: p.embed_text for p in batch if p.embed_hash not in known}
            vectors = await view.embedder.embed(list(fresh.values()), "passage")
            embedded += len(fresh)
            dimensions = dimensions or (len(vectors[0]) if vectors else 0)
            known |= {h: vector_literal(v) for h, v in zip(fresh, vectors, strict=True)}
            rows = [(p.record.id, known[p.embed_hash]) for p in batch]
            await view.index.write(session, self.collection, rows)
            self._progress.advance(done_before + start + len(batch))
        if dimensions:  # with every vector reused, the index they came from exists already
            await view.index.ensure_index(session, self.collection, dimensions)
        return embedded, len(passages) - embedded


def _check_unique(passages: list[IndexedPassage]) -> None:
    seen: set[str] = set()
    for passage in passages:
        if passage.record.id in seen:
            raise DocumentError(f"passage id {passage.record.id!r} appears twice in the file")
        seen.add(passage.record.id)
