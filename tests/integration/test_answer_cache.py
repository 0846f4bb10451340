"""The response cache and single flight in chat jobs, with real providers (the emulator)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from emulator import RunningEmulator
from shared.chat.gold_match import GoldAnswers
from shared.chat.job import run_chat_job
from shared.config import Settings
from shared.db.models import Message
from shared.events import EventType
from shared.knowledge.version import kb_version, set_kb_version
from shared.rag.assembly import Providers, build_providers
from shared.resources import Resources, open_resources
from tests.constants import unique_question
from tests.integration.jobs import events_of, queued_job

pytestmark = pytest.mark.integration

QUESTION = "How is endometriosis treated?"


@dataclass(frozen=True)
class Live:
    """A worker's resources and providers, its chat models Groq's, served by the emulator."""

    resources: Resources
    providers: Providers


@pytest.fixture
async def live(
    settings: Settings, emulator: RunningEmulator, knowledge_base: int
) -> AsyncIterator[Live]:
    emulated = settings.model_copy(update={"groq_base_url": emulator.url})
    emulated = Settings.model_validate({**emulated.model_dump(), "groq_api_key": "sk-test"})
    async with open_resources(emulated) as resources:
        yield Live(resources, build_providers(resources))


async def answer(
    live: Live,
    message: str,
    language: str | None = None,
    conversation_id: uuid.UUID | None = None,
) -> dict[str, object]:
    """Run a chat job to its end; its `done` payload plus its stored audit `source`."""
    resources = live.resources
    job = await queued_job(resources, message, language=language, conversation_id=conversation_id)
    message_id = await run_chat_job(live.providers, GoldAnswers(), resources, job, last_try=True)
    assert message_id is not None
    events = await events_of(resources, job.job_id)
    done = events[-1].payload()
    async with resources.sessionmaker() as db:
        stored = await db.get(Message, uuid.UUID(message_id))
    assert stored is not None
    tokens = "".join(e.payload()["text"] for e in events if e.type is EventType.TOKEN)
    assert tokens.endswith(done["answer"])
    return {**done, "source": stored.audit["source"], "conversation_id": job.conversation_id}


async def chat_calls(emulator: RunningEmulator) -> int:
    stats = await emulator.stats()
    return sum(s["totals"]["requests"] for s in stats["series"] if s["kind"] == "chat")


async def test_a_repeated_question_is_answered_from_the_cache(
    live: Live, emulator: RunningEmulator
) -> None:
    question = unique_question(QUESTION)
    first = await answer(live, question)
    calls = await chat_calls(emulator)
    again = await answer(live, f"  {question.upper()}  ")  # same after normalisation
    assert (first["cached"], first["source"]) == (False, "pipeline")
    assert (again["cached"], again["source"]) == (True, "cache")
    assert again["answer"] == first["answer"]
    assert await chat_calls(emulator) == calls  # no provider call for the hit


async def test_another_language_is_never_served_from_the_cache(live: Live) -> None:
    question = unique_question(QUESTION)
    english = await answer(live, question, language="en")
    spanish = await answer(live, question, language="es")
    assert english["source"] == "pipeline"
    assert (spanish["cached"], spanish["source"]) == (False, "pipeline")
    assert (await answer(live, question, language="es"))["source"] == "cache"


async def test_a_new_knowledge_base_version_retires_cached_answers(live: Live) -> None:
    question = unique_question(QUESTION)
    before = await kb_version(live.resources.redis)
    await answer(live, question)
    try:
        await set_kb_version(live.resources.redis, f"test-{uuid.uuid4().hex[:8]}")
        after_reindex = await answer(live, question)
    finally:
        await set_kb_version(live.resources.redis, before)
    assert (after_reindex["cached"], after_reindex["source"]) == (False, "pipeline")


async def test_answers_that_used_history_are_never_cached_nor_served(live: Live) -> None:
    opening = await answer(live, unique_question("What is AMH?"))
    follow_up = unique_question(QUESTION)
    conversation = opening["conversation_id"]
    assert isinstance(conversation, uuid.UUID)
    personal = await answer(live, follow_up, conversation_id=conversation)
    assert (personal["cached"], personal["source"]) == (False, "personal")
    fresh = await answer(live, follow_up)  # the same words in a new conversation
    assert (fresh["cached"], fresh["source"]) == (False, "pipeline")
    personal_again = await answer(live, follow_up, conversation_id=conversation)
    assert personal_again["source"] == "personal"  # not served from the first-turn cache


async def test_identical_concurrent_questions_share_one_pipeline_run(
    live: Live, emulator: RunningEmulator
) -> None:
    await emulator.configure(ttft_ms=300)  # the leader is still answering when all arrive
    question = unique_question(QUESTION)
    results = await asyncio.gather(*(answer(live, question) for _ in range(10)))
    sources = sorted(str(result["source"]) for result in results)
    assert sources.count("pipeline") == 1
    assert set(sources) <= {"pipeline", "shared", "cache"}
    assert len({result["answer"] for result in results}) == 1
    stats = await emulator.stats()
    drafts = [s for s in stats["series"] if s["model"] == "llama-3.3-70b-versatile"]
    assert [s["totals"]["requests"] for s in drafts] == [1]
