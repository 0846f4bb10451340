"""Sessions, conversations and messages on real Postgres."""

import uuid
from datetime import timedelta

import pytest
from sqlmodel import col, select

from shared.chat.conversations import (
    ConversationNotFound,
    Question,
    SessionGone,
    ensure_conversation_owner,
    record_question,
)
from shared.chat.exchanges import save_exchange
from shared.db.models import DocumentUsage, Message, UserSession, utcnow
from shared.events import Citation
from shared.jobs import new_job_id
from shared.rag.answer import Answer
from shared.resources import Resources
from shared.sessions.service import create_session, find_session, hash_token

pytestmark = pytest.mark.integration


async def test_sessions_are_stored_hashed_and_expire(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    assert issued.session.token_hash == hash_token(issued.token) != issued.token
    found = await find_session(resources.sessionmaker, issued.token)
    assert found is not None and found.id == issued.session.id
    later = utcnow() + timedelta(days=2)
    assert await find_session(resources.sessionmaker, issued.token, now=later) is None
    assert await find_session(resources.sessionmaker, "not-a-token") is None


def question(session_id: uuid.UUID, conversation_id: uuid.UUID, text: str) -> Question:
    return Question(new_job_id(), session_id, conversation_id, text, "en")


async def test_conversations_belong_to_one_session(resources: Resources) -> None:
    owner = await create_session(resources.sessionmaker, timedelta(days=1))
    other = await create_session(resources.sessionmaker, timedelta(days=1))
    asked = question(owner.session.id, uuid.uuid4(), "What is AMH?")
    await record_question(resources.engine, asked)
    await ensure_conversation_owner(resources.sessionmaker, owner.session.id, asked.conversation_id)
    with pytest.raises(ConversationNotFound):
        await ensure_conversation_owner(
            resources.sessionmaker, other.session.id, asked.conversation_id
        )
    with pytest.raises(ConversationNotFound):
        await ensure_conversation_owner(resources.sessionmaker, owner.session.id, uuid.uuid4())


async def test_a_question_of_an_erased_session_is_refused(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    async with resources.sessionmaker() as db, db.begin():
        await db.delete(await db.get(UserSession, issued.session.id))
    asked = question(issued.session.id, uuid.uuid4(), "What is AMH?")
    with pytest.raises(SessionGone):
        await record_question(resources.engine, asked)
    assert await count_messages(resources, asked.job_id) == {}


async def test_a_question_recorded_twice_is_stored_once(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    asked = question(issued.session.id, uuid.uuid4(), "What is AMH?")
    await record_question(resources.engine, asked)
    await record_question(resources.engine, asked)
    assert await count_messages(resources, asked.job_id) == {"user": "What is AMH?"}


async def count_messages(resources: Resources, job_id: str) -> dict[str, str]:
    async with resources.sessionmaker() as db:
        rows = await db.execute(
            select(col(Message.role), col(Message.content)).where(col(Message.job_id) == job_id)
        )
    return {row[0]: row[1] for row in rows}


async def test_a_job_writes_its_question_and_answer_exactly_once(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    asked = question(issued.session.id, uuid.uuid4(), "What is IVF?")
    await record_question(resources.engine, asked)
    first = await save_exchange(
        resources.sessionmaker, asked, Answer("first", "en", "en", "extractive"), 0.0
    )
    again = await save_exchange(
        resources.sessionmaker, asked, Answer("second", "en", "en", "extractive"), 0.0
    )
    assert first == again
    assert await count_messages(resources, asked.job_id) == {
        "user": "What is IVF?",
        "assistant": "first",
    }


async def test_the_worker_stores_the_question_even_if_admission_did_not(
    resources: Resources,
) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    asked = question(issued.session.id, uuid.uuid4(), "Is PCOS genetic?")
    await save_exchange(
        resources.sessionmaker, asked, Answer("Often.", "en", "en", "extractive"), 0.0
    )
    await ensure_conversation_owner(
        resources.sessionmaker, issued.session.id, asked.conversation_id
    )
    assert await count_messages(resources, asked.job_id) == {
        "user": "Is PCOS genetic?",
        "assistant": "Often.",
    }


async def citation_counts(resources: Resources, passage_ids: list[str]) -> dict[str, int]:
    async with resources.sessionmaker() as db:
        rows = await db.execute(
            select(col(DocumentUsage.passage_id), col(DocumentUsage.citations)).where(
                col(DocumentUsage.passage_id).in_(passage_ids)
            )
        )
    return dict(rows.all())


async def test_every_citation_is_counted_once_per_answer(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    cited = [f"test-passage-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    citations = [
        Citation(title="IVF", source="NIH", url="", score=0.9, passage_id=pid) for pid in cited
    ]
    for text in ("What is IVF?", "How long does IVF take?"):
        asked = question(issued.session.id, uuid.uuid4(), text)
        answer = Answer("IVF joins egg and sperm.", "en", "en", "extractive", citations=citations)
        await save_exchange(resources.sessionmaker, asked, answer, 0.0)
        await save_exchange(resources.sessionmaker, asked, answer, 0.0)  # a re-run of the same job
    assert await citation_counts(resources, cited) == dict.fromkeys(cited, 2)
