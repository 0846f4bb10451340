"""Okapi BM25 over passages, headings (title + question) counting double."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shared.rag.terms import content_terms

HEADING_REPEAT = 2


def normalise(term: str) -> str:
    """A light plural folding, so "ovaries"/"ovary" and "tests"/"test" meet."""
    if len(term) > 4 and term.endswith("ies"):
        return term[:-3] + "y"
    if len(term) > 3 and term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


def index_terms(text: str) -> list[str]:
    return [normalise(term) for term in content_terms(text)]


@dataclass(frozen=True)
class Hit:
    index: int
    score: float  # in [0, 1): the BM25 score over its upper bound for this query


class BM25Index:
    def __init__(
        self, headings: Sequence[str], bodies: Sequence[str], k1: float = 1.2, b: float = 0.75
    ) -> None:
        self._k1, self._b = k1, b
        self._postings: dict[str, list[tuple[int, int]]] = {}
        lengths = []
        for index, (heading, body) in enumerate(zip(headings, bodies, strict=True)):
            terms = index_terms(heading) * HEADING_REPEAT + index_terms(body)
            lengths.append(len(terms))
            for term, count in Counter(terms).items():
                self._postings.setdefault(term, []).append((index, count))
        self._lengths = lengths
        self._average_length = sum(lengths) / len(lengths) if lengths else 0.0

    def __len__(self) -> int:
        return len(self._lengths)

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        return math.log(1 + (len(self._lengths) - df + 0.5) / (df + 0.5))

    def search(self, query: str, top_k: int) -> list[Hit]:
        terms = set(index_terms(query))
        scores: defaultdict[int, float] = defaultdict(float)
        for term in terms:
            idf = self.idf(term)
            for index, count in self._postings.get(term, ()):
                length_ratio = self._lengths[index] / self._average_length
                saturation = count + self._k1 * (1 - self._b + self._b * length_ratio)
                scores[index] += idf * count * (self._k1 + 1) / saturation
        bound = sum(self.idf(term) for term in terms) * (self._k1 + 1)
        best = heapq.nlargest(top_k, scores.items(), key=lambda item: item[1])
        return [Hit(index, score / bound) for index, score in best]
