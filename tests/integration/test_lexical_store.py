"""BM25 retrieval over the shipped knowledge base, loaded from real Postgres."""

import pytest

from shared.providers.vectorstore.base import SearchQuery
from shared.resources import Resources

pytestmark = pytest.mark.integration


async def test_the_sample_knowledge_base_is_loaded(knowledge_base: int) -> None:
    assert knowledge_base >= 294


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
    resources: Resources, knowledge_base: int, question: str, expected_title_word: str
) -> None:
    passages = await resources.providers.store.search(SearchQuery(text=question, top_k=8))
    assert len(passages) == 8
    assert expected_title_word in passages[0].title.lower()
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] < 1


async def test_namespace_filters_by_category(resources: Resources, knowledge_base: int) -> None:
    store = resources.providers.store
    hits = await store.search(
        SearchQuery(text="pregnancy", top_k=3, namespace="reproductive-health")
    )
    misses = await store.search(SearchQuery(text="pregnancy", top_k=3, namespace="cardiology"))
    assert len(hits) == 3 and misses == []


async def test_questions_without_content_terms_find_nothing(
    resources: Resources, knowledge_base: int
) -> None:
    assert await resources.providers.store.search(SearchQuery(text="what is it?", top_k=3)) == []
