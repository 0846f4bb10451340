"""The job that streams the analysis of confirmed markers like a chat answer.

The answer is personal: it never goes through the response cache or single flight. Like a chat
answer, it is stored in a conversation of the session (the question being the values and their
flags), so follow-up questions there have it as history. Marker values are never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from shared.bloodwork.analysis import analysis_question, marker_sentences, offline_question
from shared.bloodwork.models import Marker
from shared.chat.conversations import Question
from shared.chat.exchanges import complete_with
from shared.db.models import ANALYSED_REPORT
from shared.events import Citation, ErrorData, Stage
from shared.jobs import BloodworkAnalysisJob
from shared.providers.llm.base import AnswerMode
from shared.rag.answer import Answer, AnswerSource
from shared.rag.assembly import Providers
from shared.rag.pipeline import RetrievalConfig, answer_question, prepare_question
from shared.resources import Resources
from shared.streamed_jobs.attempt import JobAttempt, run_attempt
from shared.streamed_jobs.failures import FailurePolicy
from shared.streamed_jobs.sink import StreamSink

DEADLINE_EXCEEDED = ErrorData(
    code="deadline_exceeded", message="The analysis took too long; please try again.",
    retryable=True,
)  # fmt: skip


@dataclass
class PrefacedSink:
    """Streams `preface` before the answer, and again after anything voids what was sent."""

    sink: StreamSink
    preface: str
    sent: bool = field(default=False)

    async def _send_preface(self) -> None:
        if not self.sent and self.preface:
            self.sent = True
            await self.sink.token(self.preface + "\n\n")

    async def status(self, stage: Stage) -> None:
        await self.sink.status(stage)

    async def token(self, text: str) -> None:
        await self._send_preface()
        await self.sink.token(text)

    async def reset(self, reason: str) -> None:
        await self.sink.reset(reason)
        self.sent = False

    async def citations(self, citations: list[Citation]) -> None:
        await self.sink.citations(citations)

    async def suggestions(self, suggestions: list[str]) -> None:
        await self.sink.suggestions(suggestions)


async def _analyse(
    resources: Resources,
    providers: Providers,
    job: BloodworkAnalysisJob,
    markers: Sequence[Marker],
    sink: StreamSink,
) -> Answer:
    """The analysis, streamed to `sink`; offline, it opens with the values themselves."""
    max_chars = resources.settings.max_message_chars
    # A question made of the user's markers names no one focus: their analysis is not declined.
    retrieval = replace(RetrievalConfig.from_settings(resources.settings), on_focus_only=False)
    if providers.llm.mode is not AnswerMode.EXTRACTIVE:
        question = analysis_question(markers, job.treatment_stage)
        prepared = prepare_question(question, job.language, max_chars)
        return await answer_question(prepared, providers, sink, retrieval)
    preface = marker_sentences(markers)
    prepared = prepare_question(offline_question(markers), job.language, max_chars)
    result = await answer_question(prepared, providers, PrefacedSink(sink, preface), retrieval)
    return replace(result, text=f"{preface}\n\n{result.text}")


ANALYSIS_POLICY = FailurePolicy("bloodwork analysis", DEADLINE_EXCEEDED, refused=None)


async def run_analysis_job(
    providers: Providers, resources: Resources, job: BloodworkAnalysisJob, last_try: bool
) -> str | None:
    """Stream the analysis of `job` and store it in its conversation; returns the message id,
    or None when it ended without one.

    Raises RetryLater for a transient failure when another attempt is allowed.
    """

    markers = [Marker.model_validate(marker) for marker in job.markers]

    async def analyse(attempt: JobAttempt) -> str:
        result = await _analyse(resources, providers, job, markers, attempt.sink)
        # Personal (the user's values), and a generated question is no knowledge gap of theirs.
        result = replace(
            result,
            source=AnswerSource.PERSONAL,
            knowledge_gap=False,
            audit={**result.audit, ANALYSED_REPORT: str(job.report_id)},
        )
        question = Question(
            job.job_id, job.session_id, job.conversation_id,
            analysis_question(markers, job.treatment_stage), result.language,
        )  # fmt: skip
        return await complete_with(attempt, question, result)

    return await run_attempt(resources, job, last_try, analyse, ANALYSIS_POLICY)
