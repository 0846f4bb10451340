import pytest

from shared.providers.rerank.coverage import coverage_score
from shared.providers.rerank.retrieval_order import RetrievalOrderReranker
from tests.unit.passages import passage

pytestmark = pytest.mark.unit


def test_coverage_counts_heading_matches_double() -> None:
    in_heading = passage(title="AMH test", question="What is an AMH test?", body="A blood test.")
    in_body = passage(title="Ovarian reserve", question="What is it?", body="The AMH level.")
    assert coverage_score("AMH", in_heading) == 1.0
    assert coverage_score("AMH", in_body) == 0.5


def test_coverage_of_a_question_without_content_terms_is_zero() -> None:
    assert coverage_score("what is it?", passage()) == 0.0


async def test_offline_rerank_keeps_the_store_order_and_top_n() -> None:
    first, second, third = (passage(id=key, score=0.1) for key in "abc")
    ranked = await RetrievalOrderReranker().rerank("anything", [first, second, third], 2)
    assert [p.id for p in ranked] == ["a", "b"]
