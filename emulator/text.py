"""Deterministic stand-ins for model output: generated words, embeddings and relevance scores."""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable

VOCABULARY = (
    "the cycle may vary and your clinic can explain each step of treatment with care "
    "most people find that timing rest and regular checks help results often improve over "
    "several months so ask questions early share your history and follow the plan together"
).split()
SUGGESTED_QUESTIONS = (
    "What should I ask my doctor next?",
    "How long does this usually take?",
    "Are there any side effects to know?",
)
FEATURES_PER_WORD = 4
_WORD = re.compile(r"[a-z0-9]+")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def count_tokens(texts: Iterable[str]) -> int:
    """Roughly four characters a token, as providers' rules of thumb say."""
    return math.ceil(sum(len(text) for text in texts) / 4)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def completion_words(seed: str, count: int) -> list[str]:
    """`count` words chosen by `seed`; the last one ends with a full stop."""
    rng = random.Random(_digest(seed))
    words = [rng.choice(VOCABULARY) for _ in range(count)]
    words[0] = words[0].capitalize()
    words[-1] += "."
    return words


def embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector of hashed word features: texts that share words have positive cosine."""
    vector = [0.0] * dimensions
    for word in words_of(text):
        digest = _digest(word)
        for feature in range(FEATURES_PER_WORD):
            index = int.from_bytes(digest[feature * 4 : feature * 4 + 4], "big") % dimensions
            vector[index] += 1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [value / norm for value in vector]


def overlap_score(query: str, document: str) -> float:
    """The share of the query's distinct words that the document contains, in [0, 1]."""
    wanted = set(words_of(query))
    if not wanted:
        return 0.0
    return len(wanted & set(words_of(document))) / len(wanted)
