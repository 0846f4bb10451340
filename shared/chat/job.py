"""Runs one chat job: the answer (gold, cache, shared or pipeline) streamed, stored and
announced."""

from __future__ import annotations

from shared.chat.answering import produce_answer
from shared.chat.conversations import Question
from shared.chat.exchanges import complete_with
from shared.chat.gold_match import GoldAnswers
from shared.jobs import ChatJob
from shared.observability.metrics import ANSWERS
from shared.rag.assembly import Providers
from shared.resources import Resources
from shared.streamed_jobs.attempt import JobAttempt, run_attempt
from shared.streamed_jobs.failures import DEADLINE_EXCEEDED, PROVIDER_REFUSED, FailurePolicy

CHAT_POLICY = FailurePolicy("chat", DEADLINE_EXCEEDED, PROVIDER_REFUSED)


async def run_chat_job(
    providers: Providers, gold: GoldAnswers, resources: Resources, job: ChatJob, last_try: bool
) -> str | None:
    """Answer `job`; returns the message id, or None when it had ended or failed for good.

    Raises RetryLater for a transient failure when another attempt is allowed.
    """

    async def answer(attempt: JobAttempt) -> str:
        result = await produce_answer(resources, providers, gold, job, attempt.sink)
        ANSWERS.labels(source=result.source.value).inc()
        question = Question(
            job.job_id, job.session_id, job.conversation_id, job.message, result.language
        )
        return await complete_with(attempt, question, result)

    return await run_attempt(resources, job, last_try, answer, CHAT_POLICY)
