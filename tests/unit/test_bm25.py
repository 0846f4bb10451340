import pytest

from shared.rag.bm25 import BM25Index, normalise

pytestmark = pytest.mark.unit

HEADINGS = ["Endometriosis", "Klinefelter syndrome symptoms", "Turner syndrome", "Ovary cysts"]
BODIES = [
    "Tissue like the uterine lining grows outside the uterus.",
    "The symptoms of this syndrome vary. Symptoms include small testes.",
    "The symptoms of Turner syndrome include short stature.",
    "Cysts on the ovaries are common.",
]


def test_rare_terms_outweigh_common_ones() -> None:
    hits = BM25Index(HEADINGS, BODIES).search("symptoms of endometriosis", top_k=4)
    assert hits[0].index == 0
    assert {hit.index for hit in hits} == {0, 1, 2}


def test_headings_count_more_than_bodies() -> None:
    index = BM25Index(
        ["Turner syndrome", "Short stature"],
        ["Short stature is common.", "Turner syndrome is common."],
    )
    assert index.search("turner", top_k=2)[0].index == 0


def test_scores_are_bounded_and_ordered() -> None:
    hits = BM25Index(HEADINGS, BODIES).search("syndrome symptoms ovary", top_k=4)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score < 1 for score in scores)


def test_unknown_or_empty_queries_find_nothing() -> None:
    index = BM25Index(HEADINGS, BODIES)
    assert index.search("zebra", top_k=3) == []
    assert index.search("what is it", top_k=3) == []
    assert len(index) == 4


@pytest.mark.parametrize(
    ("term", "expected"),
    [("ovaries", "ovary"), ("tests", "test"), ("cysts", "cyst"), ("syndromes", "syndrome"),
     ("stress", "stress"), ("uterus", "uterus"), ("pelvis", "pelvis"), ("ivs", "ivs")],
)  # fmt: skip
def test_plural_folding(term: str, expected: str) -> None:
    assert normalise(term) == expected
