"""Gold answers in chat jobs, on real Redis and Postgres with the offline providers: made by a
5-star rating of a first answer, replayed to paraphrases in new conversations, never to near-misses,
follow-ups, another language, a revoked gold answer or another knowledge-base version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlmodel import col, select

from shared.chat.gold import revoke_gold
from shared.chat.gold_match import GoldAnswers, answer_versions
from shared.chat.job import run_chat_job
from shared.chat.ratings import Rating, rate_answer
from shared.db.models import GoldAnswer, Message
from shared.events import EventType
from shared.jobs import ChatJob
from shared.knowledge.version import kb_version, set_kb_version
from shared.providers.embeddings.base import Purpose
from shared.rag.assembly import Providers
from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.resources import Resources
from tests.integration.jobs import events_of, queued_follow_up, queued_job

pytestmark = pytest.mark.integration

GOLD_QUESTION = "What is a normal AMH level?"


@dataclass(frozen=True)
class Answered:
    job: ChatJob
    message_id: uuid.UUID
    done: dict[str, Any]
    events: list[EventType]
    audit: dict[str, Any]


@dataclass(frozen=True)
class Worker:
    """What answers chat jobs: the offline providers and one worker's index of gold answers."""

    resources: Resources
    providers: Providers
    gold: GoldAnswers

    async def answer(self, message: str, **job: Any) -> Answered:
        queued = await queued_job(self.resources, message, **job)
        return await self.run(queued)

    async def run(self, job: ChatJob) -> Answered:
        gold, resources = self.gold, self.resources
        message_id = await run_chat_job(self.providers, gold, resources, job, last_try=False)
        assert message_id is not None
        events = await events_of(self.resources, job.job_id)
        async with self.resources.sessionmaker() as db:
            stored = await db.get(Message, uuid.UUID(message_id))
        assert stored is not None
        return Answered(
            job, stored.id, events[-1].payload(), [e.type for e in events], stored.audit
        )

    async def rate(self, answered: Answered, stars: int) -> None:
        rating = Rating(answered.message_id, stars, None)
        await rate_answer(
            self.resources.sessionmaker, self.resources.redis, answered.job.session_id, rating
        )


@pytest.fixture
def worker(resources: Resources, providers: Providers, knowledge_base: int) -> Worker:
    return Worker(resources, providers, GoldAnswers())


def referenced(question: str, ref: str) -> str:
    """The question with a reference of this test's own, which no other test's gold answer has."""
    return f"{question} (ref {ref})"


@pytest.fixture
def ref() -> str:
    return f"t{uuid.uuid4().hex[:8]}9"  # with a digit: the guard reads it as a code


async def gold_of(resources: Resources, answered: Answered) -> GoldAnswer | None:
    async with resources.sessionmaker() as db:
        return await db.scalar(
            select(GoldAnswer).where(col(GoldAnswer.message_id) == answered.message_id)
        )


async def made_gold(worker: Worker, question: str) -> tuple[Answered, GoldAnswer]:
    answered = await worker.answer(question, new_conversation=True)
    await worker.rate(answered, 5)
    gold = await gold_of(worker.resources, answered)
    assert gold is not None
    return answered, gold


async def test_five_stars_make_a_first_answer_gold_and_fewer_take_it_back(
    worker: Worker, ref: str
) -> None:
    resources = worker.resources
    before = await answer_versions(resources.redis)
    answered, gold = await made_gold(worker, referenced(GOLD_QUESTION, ref))
    assert (gold.question, gold.language) == (referenced(GOLD_QUESTION, ref), "en")
    assert gold.kb_version == answered.audit["kb_version"] == await kb_version(resources.redis)
    assert gold.embedder is None and gold.revoked_at is None  # a worker embeds it when needed
    after = await answer_versions(resources.redis)
    assert after.gold_generation != before.gold_generation
    assert after.kb_version == before.kb_version
    await worker.rate(answered, 4)
    assert await gold_of(resources, answered) is None
    await worker.rate(answered, 5)
    assert await gold_of(resources, answered) is not None


async def test_a_follow_up_answer_is_never_made_gold(worker: Worker, ref: str) -> None:
    first = await worker.answer(referenced(GOLD_QUESTION, ref), new_conversation=True)
    second = await worker.run(
        await queued_follow_up(
            worker.resources, first.job, referenced("What is a normal FSH level?", ref)
        )
    )
    await worker.rate(second, 5)
    assert await gold_of(worker.resources, second) is None


async def test_a_paraphrase_in_a_new_conversation_is_answered_with_the_gold_answer(
    worker: Worker, ref: str
) -> None:
    # The worker's index is loaded before the gold answer exists: its new generation reloads it.
    await worker.answer(referenced("What is PCOS?", ref), new_conversation=True)
    original, gold = await made_gold(worker, referenced(GOLD_QUESTION, ref))
    for paraphrase in ("What's a normal AMH level?", "What is the normal range for AMH?"):
        replayed = await worker.answer(referenced(paraphrase, ref), new_conversation=True)
        assert replayed.done["cached"] == "gold"
        assert replayed.done["answer"] == original.done["answer"]
        kinds = [EventType.TOKEN, EventType.CITATIONS, EventType.SUGGESTIONS, EventType.DONE]
        assert replayed.events == kinds  # replayed like a cache hit: the answer at once
        assert replayed.audit["source"] == "gold" and replayed.audit["gold_id"] == str(gold.id)
        assert replayed.audit["similarity"] >= worker.resources.settings.gold_similarity_threshold
    async with worker.resources.sessionmaker() as db:
        embedded = await db.get(GoldAnswer, gold.id)
    assert embedded is not None and embedded.embedder == worker.providers.embedders[0].name


@pytest.mark.parametrize(
    ("gold_question", "near_miss", "language"),
    [
        ("Can I take ibuprofen while trying to conceive?",
         "Can I not take ibuprofen while trying to conceive?", None),
        ("Can I take ibuprofen while trying to conceive?",
         "Should I avoid ibuprofen while trying to conceive?", None),
        (GOLD_QUESTION, "What is a normal FSH level?", None),
        ("Can I take ibuprofen while trying to conceive?",
         "¿Puedo tomar ibuprofeno mientras busco embarazo?", "es"),
    ],
)  # fmt: skip
async def test_a_near_miss_is_never_answered_with_the_gold_answer(
    worker: Worker, ref: str, gold_question: str, near_miss: str, language: str | None
) -> None:
    await made_gold(worker, referenced(gold_question, ref))
    asked = await worker.answer(
        referenced(near_miss, ref), new_conversation=True, language=language
    )
    assert asked.done["cached"] is False and asked.audit["source"] == "pipeline"


async def test_a_paraphrase_in_an_existing_conversation_is_not_answered_with_gold(
    worker: Worker, ref: str
) -> None:
    opening = await worker.answer(referenced("What is PCOS?", ref), new_conversation=True)
    await made_gold(worker, referenced(GOLD_QUESTION, ref))
    later = await worker.run(
        await queued_follow_up(
            worker.resources, opening.job, referenced("What's a normal AMH level?", ref)
        )
    )
    assert later.audit["source"] != "gold"


async def test_a_revoked_gold_answer_is_replayed_no_more(worker: Worker, ref: str) -> None:
    _, gold = await made_gold(worker, referenced(GOLD_QUESTION, ref))
    paraphrase = referenced("What's a normal AMH level?", ref)
    assert (await worker.answer(paraphrase, new_conversation=True)).done["cached"] == "gold"
    await revoke_gold(worker.resources.sessionmaker, worker.resources.redis, gold.id)
    again = await worker.answer(
        referenced("What is the normal range for AMH?", ref), new_conversation=True
    )
    assert again.audit["source"] == "pipeline"
    answered_again = await worker.answer(GOLD_QUESTION + f" (ref {ref})", new_conversation=True)
    await worker.rate(answered_again, 5)  # another answer, rated anew: gold of its own
    assert (await worker.answer(paraphrase, new_conversation=True)).done["cached"] == "gold"


async def test_a_gold_answer_of_another_knowledge_base_version_is_not_replayed(
    worker: Worker, ref: str
) -> None:
    await made_gold(worker, referenced(GOLD_QUESTION, ref))
    redis = worker.resources.redis
    version = await kb_version(redis)
    try:
        await set_kb_version(redis, f"test-{uuid.uuid4().hex[:8]}")
        after_reindex = await worker.answer(referenced(GOLD_QUESTION, ref), new_conversation=True)
    finally:
        await set_kb_version(redis, version)
    assert after_reindex.audit["source"] == "pipeline"


class UnavailableEmbedder:
    """An embedding provider that is down (every call fails, as through an open breaker)."""

    name = "openai:text-embedding-3-small"

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        target = ModelRef("openai", "text-embedding-3-small")
        raise ProviderFailure(target, FailureKind.UNAVAILABLE, "breaker open")

    async def warm(self) -> None:
        """Nothing to load."""


async def test_without_embeddings_a_paraphrase_is_answered_as_if_no_gold_matched(
    worker: Worker, ref: str
) -> None:
    await made_gold(worker, referenced(GOLD_QUESTION, ref))
    down = replace(worker, providers=replace(worker.providers, embedders=(UnavailableEmbedder(),)))
    asked = await down.answer(referenced("What's a normal AMH level?", ref), new_conversation=True)
    assert asked.done["cached"] is False and asked.audit["source"] == "pipeline"
