"""How much of a question a passage covers: the lexical store's score when no embedder runs."""

from __future__ import annotations

from shared.providers.vectorstore.base import Passage
from shared.text.terms import content_terms

HEADING_WEIGHT = 2.0


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
