"""ARQ tasks for `bloodwork.extract` (read an uploaded report's markers) and
`bloodwork.analysis` (stream the analysis of the markers the user confirmed)."""

from __future__ import annotations

import functools
from typing import Any

from shared.bloodwork import reports
from shared.bloodwork.analysis_job import run_analysis_job
from shared.bloodwork.extraction import Reading, extract_report
from shared.db.models import LabReportStatus
from shared.jobs import BloodworkAnalysisJob, BloodworkJob
from shared.resources import Resources
from shared.storage.pdfs import PdfStoreUnavailable
from shared.streamed_jobs.attempt import fail_exhausted
from shared.streamed_jobs.failures import RetryLater, is_transient
from shared.streamed_jobs.tries import Attempt, attempt_job

UNAVAILABLE = "the report could not be read right now; please upload it again"


async def extract_bloodwork(ctx: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    job = BloodworkJob.model_validate(payload)
    # Built once at worker start (worker/settings.py): the extractor, deadline, PDF retention.
    reading: Reading = ctx["lab_reading"]
    status = await attempt_job(ctx, job, _extraction(reading), give_up_exhausted)
    return {"report_id": str(job.report_id), "status": status}


def _extraction(reading: Reading) -> Attempt[BloodworkJob]:
    async def attempt(resources: Resources, job: BloodworkJob, last_try: bool) -> str | None:
        try:
            return await extract_report(
                resources.sessionmaker, resources.pdf_store, job.report_id, reading
            )
        except Exception as error:
            if not (is_transient(error) or isinstance(error, PdfStoreUnavailable)):
                raise
            if not last_try:
                raise RetryLater from error
            await give_up_exhausted(resources, job)
            return LabReportStatus.FAILED

    return attempt


async def give_up_exhausted(resources: Resources, job: BloodworkJob) -> None:
    """End a report whose every try failed (a store that stayed down, a worker that died)."""
    await reports.give_up(resources.sessionmaker, job.report_id, UNAVAILABLE)


async def analyse_bloodwork(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    job = BloodworkAnalysisJob.model_validate(payload)
    run = functools.partial(run_analysis_job, ctx["providers"])
    return await attempt_job(ctx, job, run, fail_exhausted)
