"""Reciprocal rank fusion: each ranking adds 1 / (k + rank) to a document's score."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import TypeVar

# k = 60, as in Cormack, Clarke and Büttcher (SIGIR 2009), not tuned to our questions.
RRF_K = 60

Key = TypeVar("Key", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Key]], k: int = RRF_K) -> list[Key]:
    """Every document of every ranking, best fused score first (ties keep first-seen order)."""
    scores: defaultdict[Key, float] = defaultdict(float)
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] += 1.0 / (k + rank)
    return sorted(scores, key=lambda key: -scores[key])
