"""Expired sessions are erased by the worker's cron task, live ones are left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from shared.chat.conversations import Question
from shared.chat.exchanges import save_exchange
from shared.db.models import Conversation, LabReport, UserSession
from shared.jobs import new_job_id
from shared.rag.answer import Answer
from shared.resources import Resources
from shared.sessions.erasure import erase_expired_sessions
from shared.sessions.service import create_session
from tests.integration.test_bloodwork_extraction import SAMPLE, stored_report
from worker.tasks.sessions import erase_expired

pytestmark = pytest.mark.integration


async def session_with_data(resources: Resources, ttl: timedelta) -> uuid.UUID:
    session_id = (await create_session(resources.sessionmaker, ttl)).session.id
    question = Question(new_job_id(), session_id, uuid.uuid4(), "What is AMH?", "en")
    await save_exchange(
        resources.sessionmaker, question, Answer("AMH is a hormone.", "en", "en", "x"), 0.0
    )
    await stored_report(resources, SAMPLE, session_id)
    return session_id


async def held_by(resources: Resources, session_id: uuid.UUID) -> tuple[int, int, int]:
    async with resources.sessionmaker() as db:
        sessions = await db.scalar(select(func.count()).where(col(UserSession.id) == session_id))
        conversations = await db.scalar(
            select(func.count()).where(col(Conversation.session_id) == session_id)
        )
        reports = await db.scalar(
            select(func.count()).where(col(LabReport.session_id) == session_id)
        )
    return int(sessions or 0), int(conversations or 0), int(reports or 0)


async def test_only_expired_sessions_are_erased(resources: Resources) -> None:
    expired = await session_with_data(resources, timedelta(seconds=-1))
    live = await session_with_data(resources, timedelta(days=1))
    assert await erase_expired({"resources": resources}) >= 1
    assert await held_by(resources, expired) == (0, 0, 0)
    assert await held_by(resources, live) == (1, 1, 1)
    assert await erase_expired_sessions(resources, limit=100) == 0  # nothing left to erase
