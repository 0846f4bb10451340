"""Hybrid retrieval (BM25 + pgvector views) over the shipped knowledge base in real Postgres."""

import pytest

from shared.knowledge.hybrid_store import HybridStore
from shared.providers.embeddings.cached import _key
from shared.providers.vectorstore.base import SearchQuery
from shared.providers.vectorstore.timings import timing_retrieval
from shared.rag.assembly import Providers
from shared.resources import Resources

pytestmark = pytest.mark.integration


async def test_the_sample_knowledge_base_is_loaded(knowledge_base: int) -> None:
    assert knowledge_base >= 294


@pytest.mark.usefixtures("pgvector")
async def test_the_store_fuses_lexical_and_every_local_embedding_view(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    store = providers.store
    assert isinstance(store, HybridStore)
    assert store.name.startswith("hybrid(bm25+pgvector:local/multilingual-e5-small-q4")
    assert (await store.snapshot()).dense


@pytest.mark.parametrize(
    ("question", "expected_title_word"),
    [
        ("What are the symptoms of polycystic ovary syndrome?", "polycystic"),
        ("What causes male infertility?", "infertility"),
        ("What are the symptoms of endometriosis?", "endometriosis"),
        ("Is Turner syndrome inherited?", "turner"),
    ],
)
async def test_relevant_passages_come_first(
    providers: Providers,
    resources: Resources,
    knowledge_base: int,
    question: str,
    expected_title_word: str,
) -> None:
    passages = await providers.store.search(SearchQuery(text=question, top_k=8))
    assert len(passages) == 8
    assert expected_title_word in passages[0].title.lower()
    assert all(0 < p.score <= 1 for p in passages)  # cosine similarity to the question


@pytest.mark.usefixtures("pgvector")
async def test_each_part_of_a_search_is_timed(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    with timing_retrieval() as timings:
        await providers.store.search(SearchQuery(text="AMH and IVF", top_k=3))
    assert timings.lexical_ms > 0 and timings.dense_ms > 0 and timings.fusion_ms > 0
    assert timings.embedding_ms > 0


@pytest.mark.usefixtures("pgvector")
async def test_a_repeated_question_is_embedded_from_the_cache(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    question = "How long does a frozen embryo transfer cycle take?"
    await providers.store.search(SearchQuery(text=question, top_k=3))
    for embedder in providers.embedders:
        assert await resources.redis.exists(_key(embedder.name, "query", question))


async def test_namespace_filters_by_category(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    store = providers.store
    hits = await store.search(SearchQuery(text="pregnancy", top_k=3, namespace="pregnancy"))
    misses = await store.search(SearchQuery(text="pregnancy", top_k=3, namespace="cardiology"))
    assert len(hits) == 3 and {hit.category for hit in hits} == {"pregnancy"}
    assert misses == []


async def test_without_embedders_the_store_is_lexical(
    resources: Resources, knowledge_base: int
) -> None:
    lexical = HybridStore(resources.sessionmaker, resources.redis, [])
    assert lexical.name == "bm25"
    passages = await lexical.search(SearchQuery(text="symptoms of endometriosis", top_k=3))
    assert "endometriosis" in passages[0].title.lower()
    assert 0 < passages[0].score <= 1  # share of the question's terms covered
    assert await lexical.search(SearchQuery(text="what is it?", top_k=3)) == []
