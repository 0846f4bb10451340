"""Field-weighted BM25 (bm25s): question, title and body indexed apart, their scores summed.

Scoring the fields apart keeps a long body from drowning a short question or title that names
exactly what was asked (docs/benchmarks/retrieval.md compares it with one field); English
stopwords are dropped, nothing is stemmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from shared.text.terms import STOPWORDS as PRODUCT_STOPWORDS

K1 = 1.2
B = 0.75
# bm25s's English list lacks question words ("what", "how") and a letter's pleasantries.
STOPWORDS = sorted(set(STOPWORDS_EN) | PRODUCT_STOPWORDS)


@dataclass(frozen=True)
class LexicalHit:
    index: int
    score: float


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    tokenized = bm25s.tokenize(
        list(texts), stopwords=STOPWORDS, return_ids=False, show_progress=False
    )
    # bm25s can emit an empty-string token, which would match every empty field.
    return [[token for token in tokens if token] for tokens in tokenized]


def _field_index(texts: Sequence[str]) -> bm25s.BM25:
    index = bm25s.BM25(k1=K1, b=B)
    index.index(_tokens(texts), show_progress=False)
    return index


class FieldedBM25:
    def __init__(self, fields: Sequence[Sequence[str]]) -> None:
        """`fields` holds one list of texts per field, each with one text per document."""
        self._size = len(fields[0]) if fields else 0
        self._fields = [_field_index(texts) for texts in fields] if self._size else []

    def __len__(self) -> int:
        return self._size

    def scores(self, query: str) -> np.ndarray:
        total = np.zeros(self._size, dtype=np.float32)
        terms = _tokens([query])[0]
        for index in self._fields:
            known = [term for term in terms if term in index.vocab_dict]
            if known:  # get_scores fails on an empty token list
                total += index.get_scores(known)
        return total

    def search(self, query: str, top_k: int) -> list[LexicalHit]:
        scores = self.scores(query)
        count = min(top_k, int(np.count_nonzero(scores)))
        if count == 0:
            return []
        best = np.argpartition(-scores, count - 1)[:count]
        ordered = best[np.argsort(-scores[best], kind="stable")]
        return [LexicalHit(int(i), float(scores[i])) for i in ordered]
