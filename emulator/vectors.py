"""An in-memory vector index with namespaces, scored by cosine similarity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_NAMESPACE = "__default__"


@dataclass(frozen=True)
class Stored:
    values: tuple[float, ...]
    metadata: dict[str, Any] | None


@dataclass(frozen=True)
class Match:
    id: str
    score: float
    stored: Stored


def namespace_name(namespace: str | None) -> str:
    """Pinecone's default namespace is both "" and "__default__"."""
    return namespace or DEFAULT_NAMESPACE


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


class VectorIndex:
    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, Stored]] = {}

    def clear(self) -> None:
        self._namespaces.clear()

    def upsert(self, namespace: str, vectors: dict[str, Stored]) -> None:
        self._namespaces.setdefault(namespace, {}).update(vectors)

    def get(self, namespace: str, vector_id: str) -> Stored | None:
        return self._namespaces.get(namespace, {}).get(vector_id)

    def query(self, namespace: str, vector: Sequence[float], top_k: int) -> list[Match]:
        stored = self._namespaces.get(namespace, {})
        matches = [Match(key, cosine(vector, item.values), item) for key, item in stored.items()]
        matches.sort(key=lambda match: (-match.score, match.id))
        return matches[:top_k]

    def delete(self, namespace: str, ids: Sequence[str]) -> None:
        stored = self._namespaces.get(namespace, {})
        for vector_id in ids:
            stored.pop(vector_id, None)
        if not stored:
            self._namespaces.pop(namespace, None)

    def delete_all(self, namespace: str) -> None:
        self._namespaces.pop(namespace, None)

    def counts(self) -> dict[str, int]:
        return {name: len(stored) for name, stored in self._namespaces.items()}
