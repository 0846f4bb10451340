"""Erasing a session: everything the user left with us goes with it.

The order makes a failure safe to retry: running jobs are cancelled and uploads deleted while
the session (and so the client's token) still exists; the database rows then go in one
transaction (conversations, messages, lab reports by cascade, and the knowledge gaps the
session's questions logged); last, the jobs in Redis (queue entries, payloads, results, records
and event streams), which expire by themselves should that step fail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from arq.constants import abort_jobs_ss, default_queue_name, result_key_prefix
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
from shared.jobstore import ACTIVE_STATUSES, JobStatus, job_key, now_ms
from shared.resources import Resources


@dataclass(frozen=True)
class Erased:
    jobs: int
    cancelled_jobs: int
    uploads: int


async def erase_session(resources: Resources, session_id: uuid.UUID) -> Erased:
    """Delete the session and all it holds; safe to run again after a failure."""
    job_ids = await _job_ids(resources, session_id)
    cancelled = await _cancel_active(resources, job_ids)
    uploads = await resources.pdf_store.delete_session(session_id)
    async with resources.sessionmaker() as db, db.begin():
        if job_ids:
            await db.execute(delete(KnowledgeGap).where(col(KnowledgeGap.job_id).in_(job_ids)))
        await db.execute(delete(UserSession).where(col(UserSession.id) == session_id))
    if job_ids:
        await _forget_jobs(resources, job_ids)
    return Erased(jobs=len(job_ids), cancelled_jobs=cancelled, uploads=uploads)


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


async def _cancel_active(resources: Resources, job_ids: list[str]) -> int:
    """Cancel the jobs still queued or running, so no worker writes for the session again."""
    cancelled = [
        job_id
        for job_id in job_ids
        if await resources.jobs.transition(
            job_id, JobStatus.CANCELLED, ACTIVE_STATUSES, finished_at_ms=now_ms()
        )
    ]
    if cancelled:
        await resources.redis.zadd(abort_jobs_ss, dict.fromkeys(cancelled, now_ms()))
    return len(cancelled)


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
