"""Where the time of one retrieval went, filled in by the store and the pipeline's rerank step."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.observability.collector import Collector


@dataclass
class RetrievalTimings:
    lexical_ms: float = 0.0
    embedding_ms: float = 0.0
    dense_ms: float = 0.0
    fusion_ms: float = 0.0
    rerank_ms: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


_TIMINGS = Collector("izana_retrieval_timings", RetrievalTimings)
# `with timing_retrieval() as timings:` collects one retrieval's timings.
timing_retrieval = _TIMINGS.collecting
# The timings of the retrieval under way, or a throwaway record outside one.
current_timings = _TIMINGS.current
