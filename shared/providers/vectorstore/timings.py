"""Where the time of one retrieval went, filled in by the store and the pipeline's rerank step."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass


@dataclass
class RetrievalTimings:
    lexical_ms: float = 0.0
    embedding_ms: float = 0.0
    dense_ms: float = 0.0
    fusion_ms: float = 0.0
    rerank_ms: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


_timings: ContextVar[RetrievalTimings | None] = ContextVar("izana_retrieval_timings", default=None)


@contextmanager
def timing_retrieval() -> Iterator[RetrievalTimings]:
    timings = RetrievalTimings()
    token = _timings.set(timings)
    try:
        yield timings
    finally:
        _timings.reset(token)


def current_timings() -> RetrievalTimings:
    """The timings of the retrieval under way, or a throwaway record outside one."""
    return _timings.get() or RetrievalTimings()


def ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
