"""Sessions, conversations and messages on real Postgres."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.conversations import (
    AssistantMessage,
    ConversationNotFound,
    add_user_message,
    save_assistant_message,
)
from shared.db.models import Message, utcnow
from shared.jobs import new_job_id
from shared.resources import Resources
from shared.sessions import create_session, find_session, hash_token

pytestmark = pytest.mark.integration


async def test_sessions_are_stored_hashed_and_expire(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    assert issued.session.token_hash == hash_token(issued.token) != issued.token
    found = await find_session(resources.sessionmaker, issued.token)
    assert found is not None and found.id == issued.session.id
    later = utcnow() + timedelta(days=2)
    assert await find_session(resources.sessionmaker, issued.token, now=later) is None
    assert await find_session(resources.sessionmaker, "not-a-token") is None


async def test_conversations_belong_to_one_session(resources: Resources) -> None:
    owner = await create_session(resources.sessionmaker, timedelta(days=1))
    other = await create_session(resources.sessionmaker, timedelta(days=1))
    conversation = await add_user_message(
        resources.sessionmaker, owner.session.id, None, "What is AMH?", "en"
    )
    again = await add_user_message(
        resources.sessionmaker, owner.session.id, conversation.id, "And FSH?", "en"
    )
    assert again.id == conversation.id
    with pytest.raises(ConversationNotFound):
        await add_user_message(resources.sessionmaker, other.session.id, conversation.id, "x", "en")
    with pytest.raises(ConversationNotFound):
        await add_user_message(resources.sessionmaker, owner.session.id, uuid.uuid4(), "x", "en")


async def test_a_job_writes_its_answer_exactly_once(resources: Resources) -> None:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    conversation = await add_user_message(
        resources.sessionmaker, issued.session.id, None, "What is IVF?", "en"
    )
    job_id = new_job_id()
    first = AssistantMessage(job_id, conversation.id, "first run", "en", "extractive")
    second = AssistantMessage(job_id, conversation.id, "second run", "en", "extractive")
    assert await save_assistant_message(resources.sessionmaker, first) == (
        await save_assistant_message(resources.sessionmaker, second)
    )
    async with resources.sessionmaker() as db:
        rows = await db.scalar(
            select(func.count()).select_from(Message).where(Message.job_id == job_id)  # type: ignore[arg-type]
        )
        stored = await db.scalar(select(Message.content).where(Message.job_id == job_id))  # type: ignore[arg-type]
    assert (rows, stored) == (1, "first run")
