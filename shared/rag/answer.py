"""One answer, wherever it came from (the pipeline, the response cache, another job's stream),
and the shapes it takes on its way out: the `done` event, the cache entry and the stored
message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.cache.response_cache import CachedAnswer
from shared.events import GOLD, Cached, Citation, DoneData, Timings


class AnswerSource(StrEnum):
    """Where an answer came from (its audit's `source`)."""

    PIPELINE = "pipeline"  # answered here (and cached when it may be)
    CACHE = "cache"  # a stored answer to the same question
    SHARED = "shared"  # relayed from a job answering the same question right now
    PERSONAL = "personal"  # used the conversation's history: never cached nor shared
    GOLD = "gold"  # a 5-star answer to another wording of the question (shared/chat/gold.py)


@dataclass(frozen=True)
class Answer:
    text: str
    language: str  # the question's
    answer_language: str
    mode: str
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    source: AnswerSource = AnswerSource.PIPELINE
    retrieval_ms: float = 0.0
    ttft_ms: float = 0.0
    total_ms: float = 0.0
    best_score: float = 0.0
    knowledge_gap: bool = False
    audit: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_cache(cls, entry: CachedAnswer, question_language: str) -> Answer:
        return cls(
            text=entry.answer, language=question_language, answer_language=entry.language,
            mode=entry.mode, citations=[Citation.model_validate(c) for c in entry.citations],
            suggestions=entry.suggestions, source=AnswerSource.CACHE,
            audit={"model": entry.model},
        )  # fmt: skip

    @property
    def gap_score(self) -> float | None:
        """The best retrieval score, when it was low enough to log the question as a gap."""
        return self.best_score if self.knowledge_gap else None

    def done(self, message_id: str, queue_ms: float) -> DoneData:
        timings = Timings(
            queue_ms=queue_ms,
            retrieval_ms=self.retrieval_ms,
            ttft_ms=self.ttft_ms,
            total_ms=self.total_ms,
        )
        return DoneData(
            message_id=message_id, answer=self.text, cached=self.cached(), mode=self.mode,
            language=self.answer_language, timings=timings,
        )  # fmt: skip

    def cached(self) -> Cached:
        """`done.cached`: true from the response cache, "gold" from a gold answer."""
        if self.source is AnswerSource.GOLD:
            return GOLD
        return self.source is AnswerSource.CACHE

    def cache_entry(self, created_at_ms: int) -> CachedAnswer:
        return CachedAnswer(
            answer=self.text,
            language=self.answer_language,
            mode=self.mode,
            citations=[citation.model_dump() for citation in self.citations],
            suggestions=self.suggestions,
            model=str(self.audit.get("providers", {}).get("llm", "")),
            created_at_ms=created_at_ms,
        )

    def stored_message(self, queue_ms: float) -> dict[str, Any]:
        """The answer's columns of its stored message (`shared/db/models.py:Message`)."""
        return {
            "content": self.text,
            "language": self.answer_language,
            "answer_mode": self.mode,
            "citations": [citation.model_dump() for citation in self.citations],
            "suggestions": self.suggestions,
            "timings": {
                "queue_ms": queue_ms,
                "retrieval_ms": self.retrieval_ms,
                "ttft_ms": self.ttft_ms,
                "total_ms": self.total_ms,
            },
            "audit": {**self.audit, "source": self.source.value},
        }

    def cited_passage_ids(self) -> list[str]:
        return sorted({citation.passage_id for citation in self.citations if citation.passage_id})
