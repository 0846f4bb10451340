"""The chat pipeline: sanitize → language → retrieve → rerank → stream answer → cite → suggest.

Each step is a pure function or a Protocol call; where results go is the caller's `AnswerSink`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from shared.events import Citation, Stage
from shared.providers.factory import Providers
from shared.providers.llm.base import AnswerRequest
from shared.providers.vectorstore.base import Passage, SearchQuery
from shared.rag.citations import build_citations
from shared.rag.language import detect_language, parse_language
from shared.rag.sanitize import sanitize
from shared.rag.suggestions import suggest_follow_ups


class AnswerSink(Protocol):
    async def status(self, stage: Stage) -> None: ...

    async def token(self, text: str) -> None: ...

    async def citations(self, citations: list[Citation]) -> None: ...

    async def suggestions(self, suggestions: list[str]) -> None: ...


@dataclass(frozen=True)
class RetrievalConfig:
    top_k: int
    top_n: int
    max_question_chars: int


@dataclass(frozen=True)
class AnswerResult:
    answer: str
    language: str  # the question's
    answer_language: str
    mode: str
    citations: list[Citation]
    suggestions: list[str]
    retrieval_ms: float
    ttft_ms: float
    total_ms: float


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


async def retrieve(
    question: str, providers: Providers, sink: AnswerSink, config: RetrievalConfig
) -> list[Passage]:
    await sink.status(Stage.RETRIEVING)
    candidates = await providers.store.search(SearchQuery(text=question, top_k=config.top_k))
    if not candidates:
        return []
    await sink.status(Stage.RERANKING)
    return await providers.reranker.rerank(question, candidates, config.top_n)


async def answer_question(
    message: str,
    requested_language: str | None,
    providers: Providers,
    sink: AnswerSink,
    config: RetrievalConfig,
) -> AnswerResult:
    started = time.perf_counter()
    question = sanitize(message, config.max_question_chars).text
    language = parse_language(requested_language) or detect_language(question)
    passages = await retrieve(question, providers, sink, config)
    retrieval_ms = _elapsed_ms(started)

    await sink.status(Stage.GENERATING)
    request = AnswerRequest(question=question, language=language.value, passages=passages)
    chunks: list[str] = []
    ttft_ms = 0.0
    async for chunk in providers.llm.stream_answer(request):
        if not chunks:
            ttft_ms = _elapsed_ms(started)
        chunks.append(chunk)
        await sink.token(chunk)

    citations = build_citations(passages)
    await sink.citations(citations)
    suggestions = suggest_follow_ups(question, passages)
    await sink.suggestions(suggestions)
    return AnswerResult(
        answer="".join(chunks),
        language=language.value,
        answer_language=providers.llm.answer_language or language.value,
        mode=providers.llm.mode.value,
        citations=citations,
        suggestions=suggestions,
        retrieval_ms=retrieval_ms,
        ttft_ms=ttft_ms,
        total_ms=_elapsed_ms(started),
    )
