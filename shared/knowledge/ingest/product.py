"""The ingestor as the product runs it: the process's embedders, and its Pinecone index as the
mirror when the knowledge base is served from Pinecone."""

from __future__ import annotations

from shared.db.models import DEFAULT_COLLECTION
from shared.knowledge.ingest.ingestor import Ingestor, IngestReport
from shared.knowledge.ingest.progress import Progress
from shared.providers.vectorstore.pinecone import PineconeStore
from shared.resources import Resources


def product_ingestor(
    resources: Resources,
    collection: str = DEFAULT_COLLECTION,
    category: str | None = None,
    progress: Progress | None = None,
) -> Ingestor:
    store = resources.providers.store
    mirror = store if isinstance(store, PineconeStore) else None
    return Ingestor(
        resources.sessionmaker,
        resources.redis,
        resources.providers.embedders,
        collection,
        category,
        progress,
        mirror=mirror if collection == DEFAULT_COLLECTION else None,
    )


async def ingest_shipped(resources: Resources) -> IngestReport:
    """The sample knowledge base (`KNOWLEDGE_BASE_PATH`); a no-op when nothing changed."""
    return await product_ingestor(resources).ingest([resources.settings.knowledge_base_path])
