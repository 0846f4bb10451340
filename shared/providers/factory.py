"""Builds provider adapters from the settings: the guard every vendor call goes through, the
embedders and the reranker (a vendor's when its key is configured, the local one otherwise).
The pipeline's full set of roles is composed in `shared/rag/assembly.py`."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.config import Settings
from shared.providers.embeddings.base import Embedder
from shared.providers.embeddings.cached import CachedEmbedder
from shared.providers.embeddings.local_e5 import LocalE5Embedder
from shared.providers.embeddings.local_minilm import LocalMiniLMEmbedder, minilm_installed
from shared.providers.embeddings.openai_embedder import OpenAIEmbedder
from shared.providers.openai_client import openai_client
from shared.providers.rerank.base import Reranker
from shared.providers.rerank.cohere import CohereReranker, cohere_client
from shared.providers.rerank.fallback import FallbackReranker
from shared.providers.rerank.retrieval_order import RetrievalOrderReranker
from shared.resilience.breaker import BreakerPolicy, CircuitBreaker
from shared.resilience.egress import EgressLimiter
from shared.resilience.errors import ModelRef
from shared.resilience.guard import ProviderGuard
from shared.resilience.retry import RetryPolicy


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
