"""The shipped sample knowledge base (`KNOWLEDGE_BASE_PATH`), ingested with the process's own
embedder; a no-op when nothing changed since the last time."""

from __future__ import annotations

from shared.knowledge.ingest.ingestor import Ingestor, IngestReport
from shared.resources import Resources


async def ingest_shipped(resources: Resources) -> IngestReport:
    embedders = resources.providers.embedders
    ingestor = Ingestor(resources.sessionmaker, resources.redis, embedders)
    return await ingestor.ingest([resources.settings.knowledge_base_path])
