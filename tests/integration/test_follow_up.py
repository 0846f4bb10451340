"""A follow-up question is read with its conversation: the earlier turns reach the model's
prompts (chat model) and change what is retrieved (offline rule), while the same words in a new
conversation retrieve something else."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import col, select

from emulator import RunningEmulator
from shared.chat.gold_match import GoldAnswers
from shared.chat.job import run_chat_job
from shared.db.models import KnowledgePassage, Message
from shared.rag.assembly import Providers, build_providers
from shared.resources import Resources
from tests.contract.providers import emulated
from tests.integration.jobs import queued_follow_up, queued_job

pytestmark = pytest.mark.integration

FIRST = "What is endometriosis?"
FOLLOW_UP = "What are its symptoms?"
STANDALONE = "What are the symptoms of endometriosis?"


def uncached(resources: Resources) -> Resources:
    """Every answer made by the pipeline, so its retrieval is in the audit."""
    return replace(
        resources, settings=resources.settings.model_copy(update={"response_cache_ttl_seconds": 0})
    )


async def stored_answer(resources: Resources, job_id: str) -> Message:
    async with resources.sessionmaker() as db:
        answer = await db.scalar(
            select(Message).where(col(Message.job_id) == job_id, col(Message.role) == "assistant")
        )
    assert answer is not None
    return answer


async def retrieved_titles(resources: Resources, answer: Message) -> list[str]:
    ids = [hit["id"] for hit in answer.audit["retrieval"]]
    async with resources.sessionmaker() as db:
        rows = (
            await db.execute(
                select(col(KnowledgePassage.id), col(KnowledgePassage.title)).where(
                    col(KnowledgePassage.id).in_(ids)
                )
            )
        ).all()
    titles = dict(rows)
    return [titles[passage_id].lower() for passage_id in ids]


async def test_offline_a_follow_up_retrieves_the_earlier_questions_topic(
    providers: Providers, resources: Resources, knowledge_base: int
) -> None:
    resources = uncached(resources)
    first = await queued_job(resources, FIRST, new_conversation=True)
    await run_chat_job(providers, GoldAnswers(), resources, first, last_try=False)
    second = await queued_follow_up(resources, first, FOLLOW_UP)
    await run_chat_job(providers, GoldAnswers(), resources, second, last_try=False)
    alone = await queued_job(resources, FOLLOW_UP, new_conversation=True)
    await run_chat_job(providers, GoldAnswers(), resources, alone, last_try=False)

    followed = await stored_answer(resources, second.job_id)
    assert followed.audit["standalone_question"] == f"{FOLLOW_UP} endometriosis"
    in_conversation = await retrieved_titles(resources, followed)
    assert in_conversation and "endometriosis" in in_conversation[0]
    assert "ndometriosis" in followed.content
    unanchored = await stored_answer(resources, alone.job_id)
    assert "standalone_question" not in unanchored.audit
    assert not any(
        "endometriosis" in title for title in await retrieved_titles(resources, unanchored)
    )


async def test_with_a_chat_model_the_turns_reach_the_condensing_and_drafting_prompts(
    emulator: RunningEmulator, resources: Resources, knowledge_base: int
) -> None:
    settings = emulated(emulator, resources, pinecone_api_key=None, cohere_api_key=None)
    modelled = uncached(replace(resources, settings=settings))
    providers = build_providers(modelled)
    first = await queued_job(modelled, FIRST, new_conversation=True)
    await run_chat_job(providers, GoldAnswers(), modelled, first, last_try=False)
    first_answer = await stored_answer(modelled, first.job_id)
    await emulator.reset()
    await emulator.configure(text_reply=STANDALONE)  # the model's rewrite, then its answer
    second = await queued_follow_up(modelled, first, FOLLOW_UP)
    await run_chat_job(providers, GoldAnswers(), modelled, second, last_try=False)

    prompts = await emulator.prompts()
    condensing = next(
        p for p in prompts if "understood without the conversation" in p[0]["content"]
    )
    assert f"user: {FIRST}" in condensing[0]["content"]
    assert f"assistant: {first_answer.content}" in condensing[0]["content"]
    assert condensing[-1] == {"role": "user", "content": FOLLOW_UP}
    followed = await stored_answer(modelled, second.job_id)
    standalone = followed.audit["standalone_question"]
    assert standalone and standalone != FOLLOW_UP  # the model's rewrite, emulated
    drafting = next(
        p for p in prompts if "Answer only from the numbered passages" in p[0]["content"]
    )
    assert [m["content"] for m in drafting[1:]] == [FIRST, first_answer.content, standalone]
    assert followed.audit["source"] == "personal"
