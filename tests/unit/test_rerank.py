import pytest

from shared.providers.rerank.lexical import LexicalReranker, coverage_score
from tests.unit.passages import passage

pytestmark = pytest.mark.unit


def test_coverage_counts_heading_matches_double() -> None:
    in_heading = passage(title="AMH test", question="What is an AMH test?", body="A blood test.")
    in_body = passage(title="Ovarian reserve", question="What is it?", body="The AMH level.")
    assert coverage_score("AMH", in_heading) == 1.0
    assert coverage_score("AMH", in_body) == 0.5


def test_coverage_of_a_question_without_content_terms_is_zero() -> None:
    assert coverage_score("what is it?", passage()) == 0.0


async def test_rerank_orders_by_coverage_and_keeps_top_n() -> None:
    unrelated = passage(
        id="a", title="Asthma", question="What is asthma?", body="Lungs.", score=0.9
    )
    related = passage(id="b", title="Endometriosis", question="What is endometriosis?", score=0.1)
    partly = passage(id="c", title="Pelvic pain", body="Endometriosis may cause pain.", score=0.2)
    ranked = await LexicalReranker().rerank("endometriosis pain", [unrelated, related, partly], 2)
    assert [p.id for p in ranked] == ["c", "b"]
    assert ranked[0].score >= ranked[1].score
