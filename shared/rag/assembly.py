"""The pipeline's providers, composed: a vendor adapter for each role when its key is configured,
the offline implementation otherwise; and the ingestor that feeds their store. Built by the
worker and the `izana` commands; `/readyz` shows the workers' choice
(`shared/streamed_jobs/workers.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import Settings
from shared.db.models import DEFAULT_COLLECTION
from shared.knowledge.focus import FocusCatalogue, FocusSource
from shared.knowledge.hybrid_store import HybridStore, dense_views
from shared.knowledge.ingest.ingestor import Ingestor, IngestReport
from shared.knowledge.ingest.progress import Progress
from shared.providers.chat_models import ChatModels, chat_models
from shared.providers.embeddings.base import Embedder
from shared.providers.factory import build_embedders, build_guard, build_reranker
from shared.providers.llm.base import LLM
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.extractive import ExtractiveAnswerer
from shared.providers.llm.generated import GeneratedAnswerer
from shared.providers.rerank.base import Reranker
from shared.providers.vectorstore.base import VectorStore
from shared.providers.vectorstore.pinecone import PineconeStore, pinecone_index
from shared.rag.followup import FocusCarryOver, FollowUpCondenser, ModelCondenser
from shared.rag.review import ModelReviewer, PassageReviewer, Reviewer
from shared.rag.translate import ModelTranslator, NoTranslation, QueryTranslator
from shared.resilience.guard import ProviderGuard
from shared.resources import Resources


@dataclass(frozen=True)
class Providers:
    llm: LLM
    reviewer: Reviewer
    translator: QueryTranslator
    embedders: tuple[Embedder, ...]  # the dense views of the knowledge base; none: lexical only
    reranker: Reranker
    store: VectorStore
    foci: FocusSource  # what the knowledge base's passages are about
    guard: ProviderGuard | None = None  # the one every call passes (its breakers on /metrics)
    condenser: FollowUpCondenser = field(default_factory=FocusCarryOver)

    def describe(self) -> dict[str, str]:
        """Which implementation serves each role (shown by /readyz and the startup log)."""
        return {
            "llm": self.llm.name,
            "review": self.reviewer.name,
            "translate": self.translator.name,
            "condense": self.condenser.name,
            "embeddings": " + ".join(e.name for e in self.embedders) or "none",
            "rerank": self.reranker.name,
            "vectorstore": self.store.name,
        }


def build_llm_roles(
    settings: Settings, models: ChatModels, guard: ProviderGuard
) -> tuple[LLM, Reviewer, QueryTranslator]:
    if not models.draft:
        return (
            ExtractiveAnswerer(words_per_second=settings.local_llm_words_per_second),
            PassageReviewer(),
            NoTranslation(),
        )
    small = ModelChain("review", models.small, guard)
    return (
        GeneratedAnswerer(ModelChain("draft", models.draft, guard), settings.max_answer_tokens),
        ModelReviewer(small),
        ModelTranslator(ModelChain("translate", models.small, guard)),
    )


def build_condenser(models: ChatModels, guard: ProviderGuard) -> FollowUpCondenser:
    if not models.small:
        return FocusCarryOver()
    return ModelCondenser(ModelChain("condense", models.small, guard))


def build_store(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis,
    embedders: tuple[Embedder, ...],
    guard: ProviderGuard,
) -> VectorStore:
    if settings.pinecone_api_key and settings.pinecone_index_host and embedders:
        key = settings.pinecone_api_key.get_secret_value()
        index = pinecone_index(key, settings.pinecone_index_host, settings.provider_timeout_seconds)
        return PineconeStore(index, embedders[0], guard)
    return HybridStore(sessionmaker, redis, dense_views(embedders))


def build_providers(resources: Resources) -> Providers:
    """Every role's provider for a process's settings, over its Redis and database."""
    settings, sessionmaker, redis = resources.settings, resources.sessionmaker, resources.redis
    guard = build_guard(settings, redis)
    embedders = build_embedders(settings, redis, guard)
    models = chat_models(settings)
    llm, reviewer, translator = build_llm_roles(settings, models, guard)
    return Providers(
        llm=llm,
        reviewer=reviewer,
        translator=translator,
        embedders=embedders,
        reranker=build_reranker(settings, guard),
        store=build_store(settings, sessionmaker, redis, embedders, guard),
        guard=guard,
        foci=FocusCatalogue(sessionmaker, redis),
        condenser=build_condenser(models, guard),
    )


def product_ingestor(
    resources: Resources,
    providers: Providers,
    collection: str = DEFAULT_COLLECTION,
    category: str | None = None,
    progress: Progress | None = None,
) -> Ingestor:
    """The ingestor with the providers' embedders, and their Pinecone index as the mirror when
    the knowledge base is served from Pinecone."""
    store = providers.store
    mirror = store if isinstance(store, PineconeStore) else None
    return Ingestor(
        resources.sessionmaker,
        resources.redis,
        providers.embedders,
        collection,
        category,
        progress,
        mirror=mirror if collection == DEFAULT_COLLECTION else None,
    )


async def ingest_shipped(resources: Resources, providers: Providers) -> IngestReport:
    """The sample knowledge base (`KNOWLEDGE_BASE_PATH`); a no-op when nothing changed."""
    ingestor = product_ingestor(resources, providers)
    return await ingestor.ingest([resources.settings.knowledge_base_path])
