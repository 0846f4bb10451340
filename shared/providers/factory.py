"""Chooses the provider behind each Protocol: a vendor adapter when its key is configured, the
offline implementation otherwise. `/readyz` and the startup log show the choice."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import Settings
from shared.providers.chat_models import ChatModels, chat_models
from shared.providers.embeddings.base import Embedder
from shared.providers.embeddings.cached import CachedEmbedder
from shared.providers.embeddings.local_e5 import LocalE5Embedder
from shared.providers.embeddings.local_minilm import LocalMiniLMEmbedder, minilm_installed
from shared.providers.embeddings.openai_embedder import OpenAIEmbedder
from shared.providers.llm.base import LLM
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.extractive import ExtractiveAnswerer
from shared.providers.llm.generated import GeneratedAnswerer
from shared.providers.llm.openai_chat import openai_client
from shared.providers.rerank.base import Reranker
from shared.providers.rerank.cohere import CohereReranker, cohere_client
from shared.providers.rerank.fallback import FallbackReranker
from shared.providers.rerank.retrieval_order import RetrievalOrderReranker
from shared.providers.vectorstore.base import VectorStore
from shared.providers.vectorstore.hybrid import HybridStore, dense_views
from shared.providers.vectorstore.pinecone import PineconeStore, pinecone_index
from shared.rag.review import ModelReviewer, PassageReviewer, Reviewer
from shared.rag.translate import ModelTranslator, NoTranslation, QueryTranslator
from shared.resilience.breaker import BreakerPolicy, CircuitBreaker
from shared.resilience.egress import EgressLimiter
from shared.resilience.errors import ModelRef
from shared.resilience.guard import ProviderGuard
from shared.resilience.retry import RetryPolicy


@dataclass(frozen=True)
class Providers:
    llm: LLM
    reviewer: Reviewer
    translator: QueryTranslator
    embedders: tuple[Embedder, ...]  # the dense views of the knowledge base; none: lexical only
    reranker: Reranker
    store: VectorStore

    def describe(self) -> dict[str, str]:
        """Which implementation serves each role (shown by /readyz and the startup log)."""
        return {
            "llm": self.llm.name,
            "review": self.reviewer.name,
            "translate": self.translator.name,
            "embeddings": " + ".join(e.name for e in self.embedders) or "none",
            "rerank": self.reranker.name,
            "vectorstore": self.store.name,
        }


def breaker_policy(settings: Settings) -> BreakerPolicy:
    return BreakerPolicy(
        min_failures=settings.breaker_failure_threshold,
        failure_ratio=settings.breaker_failure_ratio,
        window_seconds=settings.breaker_window_seconds,
        open_seconds=settings.breaker_open_seconds,
    )


def build_guard(settings: Settings, redis: Redis) -> ProviderGuard:
    return ProviderGuard(
        redis,
        EgressLimiter(redis, settings.egress_limits),
        CircuitBreaker(redis, breaker_policy(settings)),
        RetryPolicy(settings.provider_max_attempts, settings.provider_backoff_max_seconds),
    )


def _provider_embedder(settings: Settings, guard: ProviderGuard) -> Embedder | None:
    timeouts = (settings.provider_timeout_seconds, settings.provider_connect_timeout_seconds)
    connections = settings.provider_max_connections
    if settings.llm_base_url and settings.llm_embedding_model:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        client = openai_client(key, settings.llm_base_url, *timeouts, connections)
        target = ModelRef("llm", settings.llm_embedding_model)
    elif settings.openai_api_key:
        key = settings.openai_api_key.get_secret_value()
        client = openai_client(key, settings.openai_base_url, *timeouts, connections)
        target = ModelRef("openai", settings.openai_embedding_model)
    else:
        return None
    return OpenAIEmbedder(client, target, settings.embedding_dimensions, guard)


def _local_embedders(settings: Settings) -> tuple[Embedder, ...]:
    if not settings.local_embeddings:
        return ()
    if settings.local_minilm and minilm_installed():
        return (LocalE5Embedder(), LocalMiniLMEmbedder())
    return (LocalE5Embedder(),)


def build_embedders(settings: Settings, redis: Redis, guard: ProviderGuard) -> tuple[Embedder, ...]:
    """A provider's embedder when one is configured, else the local models; each cached."""
    provider = _provider_embedder(settings, guard)
    embedders = (provider,) if provider else _local_embedders(settings)
    if settings.embedding_cache_ttl_seconds == 0:
        return embedders
    ttl = settings.embedding_cache_ttl_seconds
    return tuple(CachedEmbedder(embedder, redis, ttl) for embedder in embedders)


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


def build_reranker(settings: Settings, guard: ProviderGuard) -> Reranker:
    if settings.cohere_api_key:
        key = settings.cohere_api_key.get_secret_value()
        client = cohere_client(
            key,
            settings.cohere_base_url,
            settings.provider_timeout_seconds,
            settings.provider_max_connections,
        )
        cohere = CohereReranker(client, settings.cohere_rerank_model, guard)
        return FallbackReranker(cohere, RetrievalOrderReranker(), guard)
    return RetrievalOrderReranker()


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


def build_providers(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis
) -> Providers:
    guard = build_guard(settings, redis)
    embedders = build_embedders(settings, redis, guard)
    llm, reviewer, translator = build_llm_roles(settings, chat_models(settings), guard)
    return Providers(
        llm=llm,
        reviewer=reviewer,
        translator=translator,
        embedders=embedders,
        reranker=build_reranker(settings, guard),
        store=build_store(settings, sessionmaker, redis, embedders, guard),
    )
