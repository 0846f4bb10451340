"""Analysis of the markers a user confirmed (or edited): flags against the report's ranges, the
question put to the chat pipeline, and the job that streams the answer like a chat answer.

The answer is personal: it never goes through the response cache or single flight. Like a chat
answer, it is stored in a conversation of the session (the question being the values and their
flags), so follow-up questions there have it as history. Marker values are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.bloodwork.markers import canonical_name
from shared.bloodwork.models import Marker, ReferenceRange
from shared.bloodwork.parser import flag_against
from shared.bloodwork.units import to_canonical
from shared.conversations import Question
from shared.events import Citation, ErrorData, Stage
from shared.jobs import BloodworkAnalysisJob
from shared.providers.llm.base import AnswerMode
from shared.rag.pipeline import AnswerResult, RetrievalConfig, answer_question, prepare_question
from shared.resources import Resources
from shared.streamed_jobs.attempt import JobAttempt, run_attempt
from shared.streamed_jobs.failures import FailurePolicy
from shared.streamed_jobs.sink import StreamSink

log = logging.getLogger(__name__)

FERTILITY_MARKERS_QUESTION = (
    "What do fertility blood tests such as FSH, AMH, LH, estradiol, TSH and prolactin show?"
)
FLAG_WORDS: dict[str, str] = {"high": "above", "low": "below", "normal": "within"}
DEADLINE_EXCEEDED = ErrorData(
    code="deadline_exceeded", message="The analysis took too long; please try again.",
    retryable=True,
)  # fmt: skip


def confirmed_marker(
    name: str, value: float, unit: str, report_markers: Sequence[dict[str, Any]]
) -> Marker:
    """The user's value in the marker's canonical unit, flagged against the report's range for
    the same marker. KeyError when `name` is no known marker."""
    canonical = canonical_name(name)
    measured = to_canonical(canonical, value, unit)
    reference = _report_range(canonical, measured.unit, report_markers)
    return Marker(
        name=canonical,
        canonical_name=canonical,
        value=round(measured.value, 4),
        unit=measured.unit,
        reference_range=reference,
        flag=flag_against(measured.value, reference),
        reported_value=value,
        reported_unit=unit,
        unit_unknown=measured.unit_unknown,
    )


def _report_range(
    canonical: str, unit: str, report_markers: Sequence[dict[str, Any]]
) -> ReferenceRange | None:
    for stored in report_markers:
        if stored.get("canonical_name") == canonical and stored.get("unit") == unit:
            reference = stored.get("reference_range")
            return None if reference is None else ReferenceRange.model_validate(reference)
    return None  # not on the report, or in another unit: no range to compare with


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def _range_text(marker: Marker) -> str:
    reference = marker.reference_range
    if reference is None:
        return ""
    if reference.low is not None and reference.high is not None:
        return f"{_number(reference.low)}-{_number(reference.high)} {marker.unit}"
    return reference.text


def _measured(marker: Marker) -> str:
    return f"{marker.canonical_name} {_number(marker.value)} {marker.unit}"


def analysis_question(markers: Sequence[Marker], treatment_stage: str | None) -> str:
    """The question the model answers: every confirmed value, its flag and range."""
    parts = []
    for marker in markers:
        details: list[str] = [marker.flag] if marker.flag else []
        if marker.reference_range is not None:
            details.append(f"range {_range_text(marker)}")
        parts.append(_measured(marker) + (f" ({', '.join(details)})" if details else ""))
    question = "Explain these fertility blood test results: " + "; ".join(parts) + "."
    if treatment_stage:
        question += f" Treatment stage: {treatment_stage}."
    return question


def marker_sentences(markers: Sequence[Marker]) -> str:
    """One sentence per confirmed marker, for the offline answer that cannot read values."""
    sentences = []
    for marker in markers:
        sentence = f"Your {marker.canonical_name} is {_number(marker.value)} {marker.unit}"
        if marker.flag is not None and marker.reference_range is not None:
            sentence += (
                f", {FLAG_WORDS[marker.flag]} the range on your report ({_range_text(marker)})"
            )
        sentences.append(sentence + ".")
    return " ".join(sentences)


def offline_question(markers: Sequence[Marker]) -> str:
    """What the extractive answerer should quote passages about: the markers out of range."""
    out_of_range = [f"{m.flag} {m.canonical_name}" for m in markers if m.flag in {"low", "high"}]
    if not out_of_range:
        return FERTILITY_MARKERS_QUESTION
    return f"What does {' and '.join(out_of_range)} mean for fertility?"


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
    resources: Resources, job: BloodworkAnalysisJob, markers: Sequence[Marker], sink: StreamSink
) -> AnswerResult:
    """The analysis, streamed to `sink`; offline, it opens with the values themselves."""
    max_chars = resources.settings.max_message_chars
    retrieval = RetrievalConfig.from_settings(resources.settings)
    if resources.providers.llm.mode is not AnswerMode.EXTRACTIVE:
        question = analysis_question(markers, job.treatment_stage)
        prepared = prepare_question(question, job.language, max_chars)
        return await answer_question(prepared, resources.providers, sink, retrieval)
    preface = marker_sentences(markers)
    prepared = prepare_question(offline_question(markers), job.language, max_chars)
    result = await answer_question(
        prepared, resources.providers, PrefacedSink(sink, preface), retrieval
    )
    return replace(result, answer=f"{preface}\n\n{result.answer}")


ANALYSIS_POLICY = FailurePolicy("bloodwork analysis", DEADLINE_EXCEEDED, refused=None)


async def run_analysis_job(
    resources: Resources, job: BloodworkAnalysisJob, last_try: bool
) -> str | None:
    """Stream the analysis of `job` and store it in its conversation; returns the message id,
    or None when it ended without one.

    Raises RetryLater for a transient failure when another attempt is allowed.
    """

    markers = [Marker.model_validate(marker) for marker in job.markers]

    async def analyse(attempt: JobAttempt) -> str:
        result = await _analyse(resources, job, markers, attempt.sink)
        # A generated question is no knowledge gap of the user's.
        result = replace(result, knowledge_gap=False)
        question = Question(
            job.job_id, job.session_id, job.conversation_id,
            analysis_question(markers, job.treatment_stage), result.language,
        )  # fmt: skip
        return await attempt.complete(question, result)

    return await run_attempt(resources, job, last_try, analyse, ANALYSIS_POLICY)
