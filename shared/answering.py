"""Where a chat job's answer comes from: the response cache, another job answering the same
question at this moment (single flight: followers relay the leader's stream), or the pipeline.

Answers that used the conversation's history are personal: they bypass cache and flight.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

from shared.cache.response_cache import CachedAnswer, ResponseCache, cache_key
from shared.cache.single_flight import LeaderLost, SingleFlight, follow
from shared.conversations import load_history
from shared.events import Citation, DoneData, EventType, Stage, StreamEvent
from shared.jobs import ChatJob
from shared.jobstore import now_ms
from shared.knowledge.version import kb_version
from shared.providers.llm.base import AnswerMode
from shared.providers.llm.chat import ChatMessage
from shared.rag.pipeline import (
    AnswerResult,
    AnswerSink,
    AnswerSource,
    PreparedQuestion,
    RetrievalConfig,
    answer_question,
    elapsed_ms,
    prepare_question,
)
from shared.rag.prompts import PROMPTS_VERSION
from shared.resources import Resources

# How often a job looks for a leader again after one failed or vanished.
MAX_FLIGHT_ROUNDS = 3
LEADER_FAILED = "leader_failed"


def model_config(resources: Resources) -> str:
    """Everything besides question, language and knowledge that shapes an answer."""
    settings = resources.settings
    return json.dumps(
        {
            "providers": resources.providers.describe(),
            "top_k": settings.retrieval_top_k,
            "top_n": settings.rerank_top_n,
            "max_answer_tokens": settings.max_answer_tokens,
            "prompts": PROMPTS_VERSION,
        },
        sort_keys=True,
    )


def _with_source(result: AnswerResult, source: AnswerSource, **audit: str) -> AnswerResult:
    return replace(result, audit={**result.audit, "source": source.value, **audit})


async def _history(resources: Resources, job: ChatJob) -> list[ChatMessage]:
    if resources.providers.llm.mode is not AnswerMode.GENERATED or job.new_conversation:
        return []  # the offline answerer does not read history; a new conversation has none
    turns = await load_history(
        resources.sessionmaker, job.conversation_id, job.job_id, resources.settings.history_messages
    )
    return [ChatMessage(role.value, content) for role, content in turns]


def _stored(result: AnswerResult) -> CachedAnswer:
    return CachedAnswer(
        answer=result.answer,
        language=result.answer_language,
        mode=result.mode,
        citations=[citation.model_dump() for citation in result.citations],
        suggestions=result.suggestions,
        model=str(result.audit.get("providers", {}).get("llm", "")),
        created_at_ms=now_ms(),
    )


async def _replay(
    cached: CachedAnswer, prepared: PreparedQuestion, sink: AnswerSink, started: float
) -> AnswerResult:
    await sink.token(cached.answer)
    ttft_ms = elapsed_ms(started)
    citations = [Citation.model_validate(citation) for citation in cached.citations]
    await sink.citations(citations)
    await sink.suggestions(cached.suggestions)
    return AnswerResult(
        answer=cached.answer, language=prepared.language, answer_language=cached.language,
        mode=cached.mode, citations=citations, suggestions=cached.suggestions, retrieval_ms=0.0,
        ttft_ms=ttft_ms, total_ms=elapsed_ms(started), best_score=0.0, knowledge_gap=False,
        audit={"source": AnswerSource.CACHE.value, "model": cached.model},
    )  # fmt: skip


class _Relay:
    """Copies a leader's events to this job's sink and rebuilds the result from them."""

    def __init__(self, sink: AnswerSink, prepared: PreparedQuestion, started: float) -> None:
        self.sink = sink
        self.prepared = prepared
        self.started = started
        self.ttft_ms = 0.0
        self.emitted = False
        self.citations: list[Citation] = []
        self.suggestions: list[str] = []

    async def relay(self, event: StreamEvent) -> None:
        payload = event.payload()
        if event.type is EventType.TOKEN:
            self.ttft_ms = self.ttft_ms or elapsed_ms(self.started)
            self.emitted = True
            await self.sink.token(payload["text"])
        elif event.type is EventType.RESET:
            await self.sink.reset(payload["reason"])
        elif event.type is EventType.STATUS and payload["stage"] != Stage.QUEUED:
            await self.sink.status(Stage(payload["stage"]))
        elif event.type is EventType.CITATIONS:
            self.citations = [Citation.model_validate(citation) for citation in payload]
            await self.sink.citations(self.citations)
        elif event.type is EventType.SUGGESTIONS:
            self.suggestions = list(payload)
            await self.sink.suggestions(self.suggestions)

    def result(self, done: DoneData, leader_job_id: str) -> AnswerResult:
        return AnswerResult(
            answer=done.answer, language=self.prepared.language, answer_language=done.language,
            mode=done.mode, citations=self.citations, suggestions=self.suggestions,
            retrieval_ms=0.0, ttft_ms=self.ttft_ms, total_ms=elapsed_ms(self.started),
            best_score=0.0, knowledge_gap=False,
            audit={"source": AnswerSource.SHARED.value, "leader_job_id": leader_job_id},
        )  # fmt: skip


async def _follow_leader(
    resources: Resources, key: str, leader: str, relay: _Relay
) -> AnswerResult | None:
    """The leader's answer relayed, or None when it failed (this job then tries itself)."""
    idle = resources.settings.single_flight_idle_seconds
    async for event in follow(resources.redis, key, leader, idle):
        if event.type is EventType.DONE:
            return relay.result(DoneData.model_validate(event.payload()), leader)
        if event.type is EventType.ERROR:
            return None
        await relay.relay(event)
    return None


async def produce_answer(resources: Resources, job: ChatJob, sink: AnswerSink) -> AnswerResult:
    started = time.perf_counter()
    settings = resources.settings
    prepared = prepare_question(job.message, job.language, settings.max_message_chars)
    config = RetrievalConfig.from_settings(settings)
    history = await _history(resources, job)
    cache = ResponseCache(resources.redis, settings.response_cache_ttl_seconds)
    if history or not cache.enabled:
        result = await answer_question(prepared, resources.providers, sink, config, history)
        return _with_source(result, AnswerSource.PERSONAL if history else AnswerSource.PIPELINE)

    version = await kb_version(resources.redis)
    key = cache_key(prepared.text, prepared.language, version, model_config(resources))
    flight = SingleFlight(resources.redis, settings.single_flight_lease_seconds)
    for _ in range(MAX_FLIGHT_ROUNDS):
        cached = await cache.get(key)
        if cached is not None:
            return await _replay(cached, prepared, sink, started)
        leader = await flight.claim(key, job.job_id)
        if leader is None:
            async with flight.leading(key, job.job_id):
                result = await answer_question(prepared, resources.providers, sink, config)
                await cache.put(key, _stored(result))
            return _with_source(result, AnswerSource.PIPELINE, kb_version=version)
        relay = _Relay(sink, prepared, started)
        try:
            shared = await _follow_leader(resources, key, leader, relay)
        except LeaderLost:
            shared = None
        if shared is not None:
            return shared
        if relay.emitted:
            await sink.reset(LEADER_FAILED)
    result = await answer_question(prepared, resources.providers, sink, config)
    return _with_source(result, AnswerSource.PIPELINE)
