import numpy as np
import pytest

from shared.providers.vectorstore.fusion import reciprocal_rank_fusion
from shared.providers.vectorstore.lexical import FieldedBM25

pytestmark = pytest.mark.unit

QUESTIONS = ["What is PCOS?", "What is IVF?", "What are the symptoms of endometriosis?", ""]
TITLES = ["Polycystic ovary syndrome", "In vitro fertilisation", "Endometriosis", ""]
BODIES = [
    "PCOS is a hormonal disorder of the ovaries.",
    "IVF joins egg and sperm in a laboratory.",
    "Endometriosis causes pelvic pain and may affect fertility.",
    "",
]


def test_fusion_rewards_agreement_between_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "a"]])
    assert fused[0] == "b"  # ranks 2 and 1 beat ranks 1 and 3
    assert sorted(fused) == ["a", "b", "c"]


def test_fusion_keeps_documents_found_by_one_ranking_only() -> None:
    assert reciprocal_rank_fusion([["a"], ["b"]], k=60) == ["a", "b"]
    assert reciprocal_rank_fusion([]) == []


def test_fielded_bm25_ranks_the_matching_document_first() -> None:
    index = FieldedBM25([QUESTIONS, TITLES, BODIES])
    hits = index.search("tell me about the symptoms of endometriosis", top_k=3)
    assert hits[0].index == 2 and len(hits) == 1  # only one document shares a term


def test_a_query_of_stopwords_only_finds_nothing() -> None:
    # bm25s fails on an empty token list and could match empty fields on an empty token.
    index = FieldedBM25([QUESTIONS, TITLES, BODIES])
    assert index.search("what is it? thank you", top_k=3) == []
    assert not np.any(index.scores(""))


def test_every_field_contributes_to_the_score() -> None:
    index = FieldedBM25([QUESTIONS, TITLES, BODIES])
    in_title_and_body = index.scores("ovary hormonal")[0]
    in_body_only = index.scores("hormonal")[0]
    assert in_title_and_body > in_body_only > 0


def test_an_empty_collection_searches_to_nothing() -> None:
    assert FieldedBM25([[], [], []]).search("ivf", 5) == []
