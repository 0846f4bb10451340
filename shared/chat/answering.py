"""Where a chat job's answer comes from: a gold answer (a new conversation's question only), the
response cache, another job answering the same question at this moment (single flight:
followers relay the leader's stream), or the pipeline.

A follow-up question is first made standalone from the conversation's recent turns
(`shared/rag/followup.py`); the offline answerer then answers it like any other question, cache
included, while a chat model also reads those turns, which makes its answer personal: it
bypasses cache and flight.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

from shared.cache.response_cache import CachedAnswer, ResponseCache, cache_key
from shared.cache.single_flight import LeaderLost, SingleFlight, follow
from shared.chat.conversations import load_history
from shared.chat.gold_match import GoldAnswers, answer_versions
from shared.events import Citation, DoneData, EventType, Stage, StreamEvent
from shared.jobs import ChatJob, now_ms
from shared.knowledge.version import pinned_kb_version
from shared.observability.clock import elapsed_ms
from shared.providers.llm.base import AnswerMode
from shared.providers.llm.chat import ChatMessage
from shared.providers.llm.prompts import PROMPTS_VERSION
from shared.rag.answer import Answer, AnswerSource
from shared.rag.assembly import Providers
from shared.rag.pipeline import (
    AnswerSink,
    PreparedQuestion,
    RetrievalConfig,
    answer_question,
    prepare_question,
)
from shared.resources import Resources

# How often a job looks for a leader again after one failed or vanished.
MAX_FLIGHT_ROUNDS = 3
LEADER_FAILED = "leader_failed"


def model_config(resources: Resources, providers: Providers) -> str:
    """Everything besides question, language and knowledge that shapes an answer."""
    settings = resources.settings
    return json.dumps(
        {
            "providers": providers.describe(),
            "top_k": settings.retrieval_top_k,
            "top_n": settings.rerank_top_n,
            "max_answer_tokens": settings.max_answer_tokens,
            "prompts": PROMPTS_VERSION,
        },
        sort_keys=True,
    )


async def _history(resources: Resources, job: ChatJob) -> list[ChatMessage]:
    if job.new_conversation:
        return []
    turns = await load_history(
        resources.sessionmaker, job.conversation_id, job.job_id, resources.settings.history_messages
    )
    return [ChatMessage(role.value, content) for role, content in turns]


@dataclass(frozen=True)
class _FollowUp:
    prepared: PreparedQuestion  # its text made standalone
    history: list[ChatMessage]  # the turns the answer model reads (none for the offline one)
    condensed: bool


async def _follow_up(
    resources: Resources, providers: Providers, job: ChatJob, prepared: PreparedQuestion
) -> _FollowUp:
    history = await _history(resources, job)
    if not history:
        return _FollowUp(prepared, [], condensed=False)
    standalone = await providers.condenser.standalone(prepared.text, history)
    read_by_model = providers.llm.mode is AnswerMode.GENERATED
    return _FollowUp(
        replace(prepared, text=standalone),
        history if read_by_model else [],
        condensed=standalone != prepared.text,
    )


async def _replay(
    cached: CachedAnswer, prepared: PreparedQuestion, sink: AnswerSink, started: float
) -> Answer:
    answer = Answer.from_cache(cached, prepared.language)
    await sink.token(answer.text)
    ttft_ms = elapsed_ms(started)
    await sink.citations(answer.citations)
    await sink.suggestions(answer.suggestions)
    return replace(answer, ttft_ms=ttft_ms, total_ms=elapsed_ms(started))


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

    def result(self, done: DoneData, leader_job_id: str) -> Answer:
        return Answer(
            text=done.answer, language=self.prepared.language, answer_language=done.language,
            mode=done.mode, citations=self.citations, suggestions=self.suggestions,
            source=AnswerSource.SHARED, ttft_ms=self.ttft_ms, total_ms=elapsed_ms(self.started),
            audit={"leader_job_id": leader_job_id},
        )  # fmt: skip


async def _follow_leader(
    resources: Resources, key: str, leader: str, relay: _Relay
) -> Answer | None:
    """The leader's answer relayed, or None when it failed (this job then tries itself)."""
    idle = resources.settings.single_flight_idle_seconds
    async for event in follow(resources.redis, key, leader, idle):
        if event.type is EventType.DONE:
            return relay.result(DoneData.model_validate(event.payload()), leader)
        if event.type is EventType.ERROR:
            return None
        await relay.relay(event)
    return None


async def produce_answer(
    resources: Resources, providers: Providers, gold: GoldAnswers, job: ChatJob, sink: AnswerSink
) -> Answer:
    asked = prepare_question(job.message, job.language, resources.settings.max_message_chars)
    follow_up = await _follow_up(resources, providers, job, asked)
    result = await _answer(
        resources, providers, gold, job, follow_up.prepared, follow_up.history, sink
    )
    if not follow_up.condensed:
        return result
    return replace(result, audit={**result.audit, "standalone_question": follow_up.prepared.text})


async def _answer(
    resources: Resources,
    providers: Providers,
    gold: GoldAnswers,
    job: ChatJob,
    prepared: PreparedQuestion,
    history: list[ChatMessage],
    sink: AnswerSink,
) -> Answer:
    started = time.perf_counter()
    if history:
        config = RetrievalConfig.from_settings(resources.settings)
        result = await answer_question(prepared, providers, sink, config, history)
        return replace(result, source=AnswerSource.PERSONAL)
    versions = await answer_versions(resources.redis)
    version = versions.kb_version
    with pinned_kb_version(version):
        match = None
        if job.new_conversation:  # like the cache, only a question read without history
            match = await gold.find(resources, providers.embedders, prepared, versions)
        if match is not None:
            result = match.replayed(await _replay(match.answer, prepared, sink, started))
        else:
            result = await _through_cache(
                resources, providers, job, prepared, sink, started, version
            )
    return replace(result, audit={**result.audit, "kb_version": version})


async def _through_cache(
    resources: Resources,
    providers: Providers,
    job: ChatJob,
    prepared: PreparedQuestion,
    sink: AnswerSink,
    started: float,
    version: str,
) -> Answer:
    """From the response cache, another job answering it now, or the pipeline (then cached)."""
    settings = resources.settings
    config = RetrievalConfig.from_settings(settings)
    cache = ResponseCache(resources.redis, settings.response_cache_ttl_seconds)
    if not cache.enabled:
        return await answer_question(prepared, providers, sink, config)
    key = cache_key(prepared.text, prepared.language, version, model_config(resources, providers))
    flight = SingleFlight(resources.redis, settings.single_flight_lease_seconds)
    for _ in range(MAX_FLIGHT_ROUNDS):
        claim = await flight.claim(key, job.job_id)
        if claim.cached is not None:
            cached = await cache.read(key, claim.cached)
            if cached is not None:
                return await _replay(cached, prepared, sink, started)
            continue  # unreadable, and now deleted: claim again
        if claim.leader is None:
            async with flight.leading(key, job.job_id) as landing:
                result = await answer_question(prepared, providers, sink, config)
                cache.land(landing, result.cache_entry(now_ms()))
            return result
        relay = _Relay(sink, prepared, started)
        try:
            shared = await _follow_leader(resources, key, claim.leader, relay)
        except LeaderLost:
            shared = None
        if shared is not None:
            return shared
        if relay.emitted:
            await sink.reset(LEADER_FAILED)
    return await answer_question(prepared, providers, sink, config)
