"""Offline reranker: how much of the question a passage covers, title and question weighted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from shared.providers.vectorstore.base import Passage
from shared.rag.terms import content_terms

HEADING_WEIGHT = 2.0
RETRIEVAL_WEIGHT = 0.3


def coverage_score(query: str, passage: Passage) -> float:
    """Share of the question's terms found in the passage, heading matches counting double."""
    terms = set(content_terms(query))
    if not terms:
        return 0.0
    heading = set(content_terms(f"{passage.title} {passage.question}"))
    body = set(content_terms(passage.body))
    matched = sum(
        HEADING_WEIGHT if term in heading else 1.0 for term in terms if term in heading | body
    )
    return matched / (HEADING_WEIGHT * len(terms))


class LexicalReranker:
    name = "lexical-coverage"

    async def rerank(self, query: str, passages: Sequence[Passage], top_n: int) -> list[Passage]:
        scored = [
            replace(
                passage,
                score=(1 - RETRIEVAL_WEIGHT) * coverage_score(query, passage)
                + RETRIEVAL_WEIGHT * passage.score,
            )
            for passage in passages
        ]
        return sorted(scored, key=lambda passage: passage.score, reverse=True)[:top_n]
