"""Erasing a session: everything the user left with us goes with it.

The order makes a failure safe to retry: running jobs are cancelled and uploads deleted while
the session (and so the client's token) still exists; the database rows then go in one
transaction (conversations, messages, lab reports by cascade, and the knowledge gaps the
session's questions logged); last, the jobs in Redis (queue entries, payloads, results, records
and event streams), which expire by themselves should that step fail.
"""

from __future__ import annotations

import uuid

from arq.constants import default_queue_name, result_key_prefix
from arq.constants import job_key_prefix as arq_job_key_prefix
from sqlalchemy import delete, select, union
from sqlmodel import col

from shared.db.models import (
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
    for job_id in job_ids:  # those still queued or running: no worker writes for it again
        await cancel(resources.jobs, resources.arq, job_id)
    await resources.pdf_store.delete_session(session_id)
    async with resources.sessionmaker() as db, db.begin():
        if job_ids:
            await db.execute(delete(KnowledgeGap).where(col(KnowledgeGap.job_id).in_(job_ids)))
        await db.execute(delete(UserSession).where(col(UserSession.id) == session_id))
    if job_ids:
        await _forget_jobs(resources, job_ids)


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
