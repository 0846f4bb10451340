"""The chat pipeline: sanitize → language → translate the query → search (a dense store embeds
the query) → rerank → draft (streamed) → review → cite → suggest.

Each step is a pure function or a Protocol call; where results go is the caller's `AnswerSink`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
from shared.rag.grounding import Grounding, focus_query, ground
from shared.rag.review import Review
from shared.rag.sanitize import sanitize
from shared.rag.suggestions import suggest_follow_ups
from shared.resilience.trail import tracking_calls
from shared.text.language import Language, detect_language, parse_language
from shared.text.localized import localized
from shared.text.terms import split_sentences

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
    # Only passages on the question's focus, or an honest decline (shared/rag/grounding.py).
    on_focus_only: bool = True

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


async def search(
    query: str, providers: Providers, sink: AnswerSink, config: RetrievalConfig
) -> list[Passage]:
    """The store's `top_k` candidates, best first."""
    await sink.status(Stage.RETRIEVING)
    # A dense store embeds the query itself (through the cached embedder); a lexical one not.
    return await providers.store.search(SearchQuery(text=query, top_k=config.top_k))


async def rerank(
    query: str,
    candidates: list[Passage],
    providers: Providers,
    sink: AnswerSink,
    config: RetrievalConfig,
) -> list[Passage]:
    """The best `top_n` candidates (none without candidates)."""
    if not candidates:
        return []
    await sink.status(Stage.RERANKING)
    started = time.perf_counter()
    passages = await providers.reranker.rerank(query, candidates, config.top_n)
    current_timings().rerank_ms = elapsed_ms(started)
    return passages


def best_score(candidates: Sequence[Passage]) -> float:
    return max((candidate.score for candidate in candidates), default=0.0)


async def retrieve(
    query: str, providers: Providers, sink: AnswerSink, config: RetrievalConfig
) -> Retrieved:
    candidates = await search(query, providers, sink, config)
    passages = await rerank(query, candidates, providers, sink, config)
    return Retrieved(passages, best_score(candidates))


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


@dataclass(frozen=True)
class _Drafting:
    prepared: PreparedQuestion
    passages: list[Passage]
    history: Sequence[ChatMessage]
    grounding: Grounding


async def _draft_and_review(
    drafting: _Drafting, providers: Providers, timer: _FirstTokenTimer
) -> tuple[Review, list[str]]:
    """The answer drafted, reviewed, without its claims off the question's focus and closed
    with the "not medical advice" line; and the claims dropped."""
    question, language = drafting.prepared.text, drafting.prepared.language
    passages = drafting.passages
    request = AnswerRequest(question, language, passages, drafting.history)
    draft = await providers.llm.write_answer(request, timer)
    if providers.llm.mode is AnswerMode.GENERATED:
        await timer.sink.status(Stage.REVIEWING)
    review = await providers.reviewer.review(question, draft, language, passages)
    flagged = drafting.grounding.off_focus_claims(review.answer, passages)
    if flagged:
        kept = [s for s in split_sentences(review.answer) if s not in flagged]
        review = replace(review, answer=" ".join(kept))
    if not _same_text(review.answer, draft.text):
        await timer.reset(REVISED_REASON)
        await timer.token(review.answer)
    closing = f"\n\n{localized(language).disclaimer}"
    await timer.token(closing)
    return replace(review, answer=review.answer + closing), flagged


async def _decline(prepared: PreparedQuestion, timer: _FirstTokenTimer) -> Review:
    """Say the knowledge base has nothing on the question, rather than quote a neighbour."""
    language = prepared.language
    decline = localized(language).decline
    await timer.token(decline)
    return Review(decline, language, suggest_follow_ups(prepared.text, [], language))


async def _grounding(
    query: str,
    candidates: list[Passage],
    providers: Providers,
    sink: AnswerSink,
    config: RetrievalConfig,
) -> Grounding:
    if not config.on_focus_only:
        return Grounding(candidates, [], [])
    lexicon = await providers.foci.lexicon()
    if (expanded := focus_query(lexicon, query, candidates)) is not None:
        found = await search(expanded, providers, sink, config)
        seen = {passage.id for passage in candidates}
        candidates = candidates + [passage for passage in found if passage.id not in seen]
    return ground(lexicon, query, candidates)


async def answer_question(
    prepared: PreparedQuestion,
    providers: Providers,
    sink: AnswerSink,
    config: RetrievalConfig,
    history: Sequence[ChatMessage] = (),
) -> Answer:
    started = time.perf_counter()
    with tracking_calls() as trail, timing_retrieval() as timings:
        query = await search_text(prepared.text, prepared.language, providers, sink)
        candidates = await search(query, providers, sink, config)
        grounding = await _grounding(query, candidates, providers, sink, config)
        passages = await rerank(query, grounding.passages, providers, sink, config)
        retrieval_ms = elapsed_ms(started)

        await sink.status(Stage.GENERATING)
        timer = _FirstTokenTimer(sink, started)
        flagged: list[str] = []
        if grounding.declined:
            review = await _decline(prepared, timer)
        else:
            drafting = _Drafting(prepared, passages, history, grounding)
            review, flagged = await _draft_and_review(drafting, providers, timer)

    citations = build_citations(passages)
    await sink.citations(citations)
    await sink.suggestions(review.suggestions)
    best = best_score(candidates)
    return Answer(
        text=review.answer,
        language=prepared.language,
        answer_language=review.answer_language,
        mode=providers.llm.mode.value,
        citations=citations,
        suggestions=review.suggestions,
        retrieval_ms=retrieval_ms,
        ttft_ms=timer.ttft_ms,
        total_ms=elapsed_ms(started),
        best_score=best,
        knowledge_gap=grounding.declined or best < config.gap_threshold,
        audit={
            "retrieval": _retrieval_audit(passages),
            "grounding": {**grounding.audit(), "off_focus_claims": len(flagged)},
            "retrieval_timings": timings.as_dict(),
            "providers": providers.describe(),
            **trail.as_audit(),
        },
    )
