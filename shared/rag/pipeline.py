"""The chat pipeline: sanitize → language → translate the query → search (a dense store embeds
the query) → rerank → draft (streamed) → review → cite → suggest.

Each step is a pure function or a Protocol call; where results go is the caller's `AnswerSink`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.config import Settings
from shared.events import Citation, Stage
from shared.observability.clock import elapsed_ms
from shared.providers.llm.base import AnswerMode, AnswerRequest
from shared.providers.llm.chat import ChatMessage
from shared.providers.vectorstore.base import Passage, SearchQuery
from shared.providers.vectorstore.timings import current_timings, timing_retrieval
from shared.rag.answer import Answer
from shared.rag.assembly import Providers
from shared.rag.citations import build_citations
from shared.rag.sanitize import sanitize
from shared.resilience.trail import tracking_calls
from shared.text.language import Language, detect_language, parse_language

REVISED_REASON = "revised"


class AnswerSink(Protocol):
    async def status(self, stage: Stage) -> None: ...

    async def token(self, text: str) -> None: ...

    async def reset(self, reason: str) -> None: ...

    async def citations(self, citations: list[Citation]) -> None: ...

    async def suggestions(self, suggestions: list[str]) -> None: ...


@dataclass(frozen=True)
class PreparedQuestion:
    text: str  # sanitized
    language: str  # the one to answer in: requested, else detected


def prepare_question(
    message: str, requested_language: str | None, max_chars: int
) -> PreparedQuestion:
    text = sanitize(message, max_chars).text
    language = parse_language(requested_language) or detect_language(text)
    return PreparedQuestion(text, language.value)


@dataclass(frozen=True)
class RetrievalConfig:
    top_k: int
    top_n: int
    max_question_chars: int
    gap_threshold: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrievalConfig:
        return cls(
            top_k=settings.retrieval_top_k,
            top_n=settings.rerank_top_n,
            max_question_chars=settings.max_message_chars,
            gap_threshold=settings.knowledge_gap_threshold,
        )


@dataclass
class _FirstTokenTimer:
    """Passes the draft to the sink and notes when its first token went out."""

    sink: AnswerSink
    started: float
    ttft_ms: float = 0.0

    async def token(self, text: str) -> None:
        if not self.ttft_ms:
            self.ttft_ms = elapsed_ms(self.started)
        await self.sink.token(text)

    async def reset(self, reason: str) -> None:
        await self.sink.reset(reason)


@dataclass(frozen=True)
class Retrieved:
    passages: list[Passage]  # reranked, best first
    best_score: float  # the best retrieval score of any candidate (the knowledge-gap signal)


async def retrieve(
    query: str, providers: Providers, sink: AnswerSink, config: RetrievalConfig
) -> Retrieved:
    await sink.status(Stage.RETRIEVING)
    # A dense store embeds the query itself (through the cached embedder); a lexical one not.
    candidates = await providers.store.search(SearchQuery(text=query, top_k=config.top_k))
    if not candidates:
        return Retrieved([], 0.0)
    await sink.status(Stage.RERANKING)
    started = time.perf_counter()
    passages = await providers.reranker.rerank(query, candidates, config.top_n)
    current_timings().rerank_ms = elapsed_ms(started)
    return Retrieved(passages, max(candidate.score for candidate in candidates))


async def search_text(question: str, language: str, providers: Providers, sink: AnswerSink) -> str:
    """The question in English for retrieval (the knowledge base is English)."""
    if language == Language.EN or providers.llm.mode is not AnswerMode.GENERATED:
        return question
    await sink.status(Stage.TRANSLATING)
    return await providers.translator.to_english(question, language)


def _same_text(first: str, second: str) -> bool:
    return first.split() == second.split()


def _retrieval_audit(passages: list[Passage]) -> list[dict[str, Any]]:
    return [{"id": passage.id, "score": round(passage.score, 6)} for passage in passages]


async def answer_question(
    prepared: PreparedQuestion,
    providers: Providers,
    sink: AnswerSink,
    config: RetrievalConfig,
    history: Sequence[ChatMessage] = (),
) -> Answer:
    started = time.perf_counter()
    question, language = prepared.text, prepared.language
    with tracking_calls() as trail, timing_retrieval() as timings:
        query = await search_text(question, language, providers, sink)
        retrieved = await retrieve(query, providers, sink, config)
        passages = retrieved.passages
        retrieval_ms = elapsed_ms(started)

        await sink.status(Stage.GENERATING)
        timer = _FirstTokenTimer(sink, started)
        request = AnswerRequest(question, language, passages, history)
        draft = await providers.llm.write_answer(request, timer)
        if providers.llm.mode is AnswerMode.GENERATED:
            await sink.status(Stage.REVIEWING)
        review = await providers.reviewer.review(question, draft, language, passages)
        if not _same_text(review.answer, draft):
            await sink.reset(REVISED_REASON)
            await sink.token(review.answer)

    citations = build_citations(passages)
    await sink.citations(citations)
    await sink.suggestions(review.suggestions)
    best_score = retrieved.best_score
    return Answer(
        text=review.answer,
        language=language,
        answer_language=providers.llm.answer_language or language,
        mode=providers.llm.mode.value,
        citations=citations,
        suggestions=review.suggestions,
        retrieval_ms=retrieval_ms,
        ttft_ms=timer.ttft_ms,
        total_ms=elapsed_ms(started),
        best_score=best_score,
        knowledge_gap=best_score < config.gap_threshold,
        audit={
            "retrieval": _retrieval_audit(passages),
            "retrieval_timings": timings.as_dict(),
            "providers": providers.describe(),
            **trail.as_audit(),
        },
    )
