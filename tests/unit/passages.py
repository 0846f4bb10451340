"""Passage builders for unit tests."""

from __future__ import annotations

from shared.providers.vectorstore.base import Passage


def passage(
    id: str = "p1",
    title: str = "Polycystic ovary syndrome",
    question: str = "What is polycystic ovary syndrome?",
    body: str = "Polycystic ovary syndrome (PCOS) is a hormonal disorder common among women.",
    question_type: str = "information",
    score: float = 0.5,
) -> Passage:
    return Passage(
        id=id,
        title=title,
        question=question,
        body=body,
        source="MedlinePlus",
        url=f"https://example.org/{id}",
        category="reproductive-health",
        question_type=question_type,
        score=score,
    )
