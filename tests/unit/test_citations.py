import pytest

from shared.rag.citations import build_citations
from tests.unit.passages import passage

pytestmark = pytest.mark.unit


def test_citations_follow_passage_order_with_clean_titles() -> None:
    passages = [
        passage(id="a", title="ivf_success_rates.pdf", score=0.123456),
        passage(id="b", title="Endometriosis"),
    ]
    citations = build_citations(passages)
    assert [c.url for c in citations] == ["https://example.org/a", "https://example.org/b"]
    assert citations[0].title == "IVF success rates"
    assert citations[0].score == 0.1235
    assert citations[1].source == "MedlinePlus"
