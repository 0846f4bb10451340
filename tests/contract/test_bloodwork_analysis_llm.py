"""The generated blood-work analysis against the provider emulator: the model is shown the
values the user confirmed (not the extracted ones), its streamed answer is the analysis that is
stored, and a provider down for good ends the job with a retryable error."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from emulator import RunningEmulator
from shared.bloodwork.analysis import confirmed_marker
from shared.bloodwork.analysis_job import run_analysis_job
from shared.db.models import Message
from shared.jobs import BloodworkAnalysisJob, JobStatus, new_job_id, now_ms
from shared.rag.assembly import Providers, build_providers
from shared.resources import Resources
from shared.sessions.service import create_session
from tests.contract.providers import emulated
from tests.contract.test_provider_adapters import outcomes
from tests.integration.jobs import events_of

pytestmark = pytest.mark.contract

# FSH as the report printed it (7.2, range 3.5-12.5), then as the user corrected it.
REPORT_MARKERS: list[dict[str, Any]] = [
    confirmed_marker("FSH", 7.2, "mIU/mL", []).model_dump(mode="json")
    | {"reference_range": {"low": 3.5, "high": 12.5, "text": "3.5-12.5"}, "flag": "normal"}
]
EDITED_FSH = 17.3


def with_models(
    emulator: RunningEmulator, resources: Resources, **changes: Any
) -> tuple[Providers, Resources]:
    """The chat models (Groq, then OpenAI) on the emulator; retrieval stays on the local store."""
    settings = emulated(emulator, resources, pinecone_api_key=None, cohere_api_key=None, **changes)
    analysing = replace(resources, settings=settings)
    return build_providers(analysing), analysing


async def queued_analysis(resources: Resources) -> BloodworkAnalysisJob:
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    edited = confirmed_marker("FSH", EDITED_FSH, "mIU/mL", REPORT_MARKERS)
    job = BloodworkAnalysisJob(
        job_id=new_job_id(), session_id=issued.session.id, conversation_id=uuid.uuid4(),
        report_id=uuid.uuid4(), markers=[edited.model_dump(mode="json")],
        treatment_stage="before IVF", enqueued_at_ms=now_ms(),
    )  # fmt: skip
    await resources.jobs.create(job.queued_record())
    return job


async def test_the_model_is_shown_the_confirmed_values_and_its_answer_is_stored(
    emulator: RunningEmulator, resources: Resources
) -> None:
    await emulator.reset()
    providers, analysing = with_models(emulator, resources)
    job = await queued_analysis(analysing)
    message_id = await run_analysis_job(providers, analysing, job, last_try=False)
    events = await events_of(resources, job.job_id)
    assert events[-1].type == "done", events[-1]
    done = events[-1].payload()
    assert done["mode"] == "generated" and done["message_id"] == message_id
    streamed = "".join(event.payload()["text"] for event in events if event.type == "token")
    assert streamed.strip() and "Your FSH is" not in streamed  # the model's words, no preface
    # The draft's prompt: the edited value, flagged against the report's range, and the stage.
    shown = "\n".join(m["content"] for prompt in await emulator.prompts() for m in prompt)
    assert "FSH 17.3 mIU/mL (high, range 3.5-12.5 mIU/mL)" in shown
    assert "Treatment stage: before IVF" in shown and "7.2" not in shown
    async with resources.sessionmaker() as db:
        stored = await db.get(Message, uuid.UUID(str(message_id)))
    assert stored is not None and stored.content == done["answer"]
    assert stored.answer_mode == "generated" and stored.conversation_id == job.conversation_id
    assert (await outcomes(emulator)).keys() == {"ok"}  # chat, and embeddings when not cached
    assert await chat_requests(emulator) == len(await emulator.prompts())


async def chat_requests(emulator: RunningEmulator) -> int:
    series = (await emulator.stats())["series"]
    return sum(entry["totals"]["requests"] for entry in series if entry["kind"] == "chat")


async def test_a_provider_down_for_good_ends_the_analysis_with_a_retryable_error(
    emulator: RunningEmulator, resources: Resources
) -> None:
    await emulator.configure(rate_500=1.0)
    await emulator.reset()
    providers, analysing = with_models(emulator, resources, provider_backoff_max_seconds=0.01)
    job = await queued_analysis(analysing)
    assert await run_analysis_job(providers, analysing, job, last_try=True) is None
    error = (await events_of(resources, job.job_id))[-1]
    assert error.type == "error"
    assert error.payload()["code"] == "temporarily_unavailable" and error.payload()["retryable"]
    assert (await resources.jobs.get(job.job_id)).status is JobStatus.FAILED  # type: ignore[union-attr]
    assert (await outcomes(emulator)).keys() == {"500"}
