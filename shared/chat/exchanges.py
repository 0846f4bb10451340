"""The worker's durable write of a job's question and answer, and the end of the job with them.

Question and answer are written in one transaction with the passages' usage counts and, when
retrieval found too little, the question as a knowledge gap; a re-run of the job writes nothing
twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Insert, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col, select

from shared.chat.conversations import (
    MESSAGE,
    NEW_CONVERSATION,
    ONCE_PER_JOB,
    QUESTION_VALUES,
    TYPES,
    Question,
    question_params,
)
from shared.db.models import DEFAULT_COLLECTION, DocumentUsage, KnowledgeGap, Message, Role, utcnow
from shared.rag.answer import Answer
from shared.streamed_jobs.attempt import JobAttempt

_SAVE_EXCHANGE = text(f"""
WITH {NEW_CONVERSATION}, new_question AS ({MESSAGE} VALUES ({QUESTION_VALUES}) {ONCE_PER_JOB})
{MESSAGE} VALUES (:answer_id, :conversation_id, :job_id, :answer_role, :content, :language,
  :answer_mode, :citations, :suggestions, :timings, :audit, :created_at)
{ONCE_PER_JOB} RETURNING id
""").bindparams(
    *TYPES,
    bindparam("answer_id", type_=Uuid),
    *(bindparam(name, type_=JSONB) for name in ("citations", "suggestions", "timings", "audit")),
)


def _gap_row(question: Question, best_score: float) -> Insert:
    row = {
        "id": uuid.uuid4(),
        "job_id": question.job_id,
        "question": question.content,
        "language": question.language,
        "best_score": best_score,
        "created_at": utcnow(),
    }
    return insert(KnowledgeGap).values(row).on_conflict_do_nothing(index_elements=["job_id"])


def _usage_row(passage_ids: list[str]) -> Insert:
    now = utcnow()
    rows = [
        {"collection": DEFAULT_COLLECTION, "passage_id": pid, "citations": 1, "last_cited_at": now}
        for pid in passage_ids
    ]
    statement = insert(DocumentUsage).values(rows)
    return statement.on_conflict_do_update(
        index_elements=["collection", "passage_id"],
        set_={
            "citations": col(DocumentUsage.citations) + 1,
            "last_cited_at": statement.excluded.last_cited_at,
        },
    )


async def save_exchange(
    sessionmaker: async_sessionmaker[AsyncSession],
    question: Question,
    answer: Answer,
    queue_ms: float,
) -> uuid.UUID:
    """Durably store question and answer once per job; returns the answer's message id.

    One statement writes conversation, question and answer; a re-run (the answer already
    there) then looks up the stored answer's id."""
    answer_row = {"answer_id": uuid.uuid4(), "answer_role": Role.ASSISTANT.value}
    values = question_params(question) | answer_row | answer.stored_message(queue_ms)
    async with sessionmaker() as db, db.begin():
        inserted: uuid.UUID | None = (await db.execute(_SAVE_EXCHANGE, values)).scalar()
        cited = answer.cited_passage_ids()
        if inserted is not None and cited:  # a re-run of the job counts nothing twice
            await db.execute(_usage_row(cited))
        if answer.gap_score is not None:
            await db.execute(_gap_row(question, answer.gap_score))
        message_id = inserted or await db.scalar(
            select(col(Message.id)).where(
                col(Message.job_id) == question.job_id, col(Message.role) == Role.ASSISTANT.value
            )
        )
    if message_id is None:
        raise RuntimeError(f"answer of job {question.job_id} was not stored")
    return message_id


async def complete_with(attempt: JobAttempt, question: Question, answer: Answer) -> str:
    """Store the question and its answer, then end the job with `done`; the message id."""
    await attempt.ensure_running()
    queue_ms = attempt.queue_ms
    stored = await save_exchange(attempt.resources.sessionmaker, question, answer, queue_ms)
    return await attempt.complete(answer.done(str(stored), queue_ms))
