"""Erasing a session, or one conversation of it: everything the user left with us goes with it.

The order makes a failure safe to retry: running jobs are cancelled and uploads deleted while
the session (and so the client's token) still exists; the database rows then go in one
transaction (conversations, messages, lab reports by cascade, and the knowledge gaps the
session's questions logged); last, the jobs in Redis (queue entries, payloads, results, records
and event streams), which expire by themselves should that step fail.

A conversation takes with it its messages (their ratings and any gold answer made from them, by
cascade), the knowledge gaps its questions logged, the lab reports analysed in it (with their
uploads) and all those jobs. Answers that read the conversation's history were never cached
(`shared/chat/answering.py`), so no cache entry holds anything of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from arq.constants import default_queue_name, result_key_prefix
from arq.constants import job_key_prefix as arq_job_key_prefix
from sqlalchemy import delete, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from shared.chat.conversations import ensure_conversation_owner
from shared.db.models import (
    ANALYSED_REPORT,
    Conversation,
    KnowledgeGap,
    LabReport,
    Message,
    UserSession,
    utcnow,
)
from shared.events import stream_key
from shared.jobs import job_key
from shared.resources import Resources
from shared.streamed_jobs.queue import cancel


async def erase_session(resources: Resources, session_id: uuid.UUID) -> None:
    """Delete the session and all it holds; safe to run again after a failure."""
    job_ids = await _job_ids(resources, session_id)
    await _cancel_all(resources, job_ids)
    await resources.pdf_store.delete_session(session_id)
    async with resources.sessionmaker() as db, db.begin():
        await _delete_gaps(db, job_ids)
        await db.execute(delete(UserSession).where(col(UserSession.id) == session_id))
    await _forget_jobs(resources, job_ids)


async def erase_conversation(
    resources: Resources, session_id: uuid.UUID, conversation_id: uuid.UUID
) -> None:
    """Delete the session's conversation and all derived from it; ConversationNotFound when it
    is not the session's. Safe to run again after a failure."""
    await ensure_conversation_owner(resources.sessionmaker, session_id, conversation_id)
    asked, reports = await _conversation_jobs(resources, conversation_id)
    job_ids = asked + [report.job_id for report in reports]
    await _cancel_all(resources, job_ids)
    for report in reports:
        await resources.pdf_store.delete(session_id, report.id)
    async with resources.sessionmaker() as db, db.begin():
        await _delete_gaps(db, job_ids)
        report_ids = [report.id for report in reports]
        await db.execute(delete(LabReport).where(col(LabReport.id).in_(report_ids)))
        await db.execute(delete(Conversation).where(col(Conversation.id) == conversation_id))
    await _forget_jobs(resources, job_ids)


async def _cancel_all(resources: Resources, job_ids: list[str]) -> None:
    for job_id in job_ids:  # those still queued or running: no worker writes for it again
        await cancel(resources.jobs, resources.arq, job_id)


async def _delete_gaps(db: AsyncSession, job_ids: list[str]) -> None:
    if job_ids:
        await db.execute(delete(KnowledgeGap).where(col(KnowledgeGap.job_id).in_(job_ids)))


@dataclass(frozen=True)
class _AnalysedReport:
    id: uuid.UUID
    job_id: str  # the job that read its PDF


async def _conversation_jobs(
    resources: Resources, conversation_id: uuid.UUID
) -> tuple[list[str], list[_AnalysedReport]]:
    """The conversation's jobs (questions and analyses), and the reports analysed in it."""
    messages = select(col(Message.job_id), Message.audit[ANALYSED_REPORT].astext).where(
        col(Message.conversation_id) == conversation_id
    )
    async with resources.sessionmaker() as db:
        rows = (await db.execute(messages)).all()
        report_ids = {uuid.UUID(report) for _, report in rows if report}
        reports = (
            await db.execute(
                select(col(LabReport.id), col(LabReport.job_id)).where(
                    col(LabReport.id).in_(report_ids)
                )
            )
        ).all()
    job_ids = sorted({job_id for job_id, _ in rows if job_id})
    return job_ids, [_AnalysedReport(id_, job_id) for id_, job_id in reports]


async def _job_ids(resources: Resources, session_id: uuid.UUID) -> list[str]:
    """The session's chat answers, blood-work analyses and report readings."""
    asked = (
        select(col(Message.job_id))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(col(Conversation.session_id) == session_id, col(Message.job_id).is_not(None))
    )
    uploaded = select(col(LabReport.job_id)).where(col(LabReport.session_id) == session_id)
    async with resources.sessionmaker() as db:
        job_ids = (await db.execute(union(asked, uploaded))).scalars().all()
    return [str(job_id) for job_id in job_ids]


async def _forget_jobs(resources: Resources, job_ids: list[str]) -> None:
    """Drop the jobs from the queue, and their payloads, results, records and event streams."""
    if not job_ids:
        return
    keys = [
        key
        for job_id in job_ids
        for key in (
            job_key(job_id),
            stream_key(job_id),
            arq_job_key_prefix + job_id,
            result_key_prefix + job_id,
        )
    ]
    async with resources.redis.pipeline(transaction=False) as pipe:
        pipe.zrem(default_queue_name, *job_ids)
        pipe.delete(*keys)
        await pipe.execute()


async def erase_expired_sessions(resources: Resources, limit: int) -> int:
    """Erase up to `limit` sessions whose token has expired; how many were erased."""
    expired = (
        select(col(UserSession.id))
        .where(col(UserSession.expires_at) <= utcnow())
        .order_by(col(UserSession.expires_at))
        .limit(limit)
    )
    async with resources.sessionmaker() as db:
        session_ids = list((await db.execute(expired)).scalars())
    for session_id in session_ids:
        await erase_session(resources, session_id)
    return len(session_ids)
