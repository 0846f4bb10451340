"""ARQ tasks for `bloodwork.extract` (read an uploaded report's markers) and
`bloodwork.analysis` (stream the analysis of the markers the user confirmed)."""

from __future__ import annotations

from typing import Any

from arq import Retry

from shared.bloodwork.analysis import fail_exhausted, run_analysis_job
from shared.bloodwork.extraction import extract_report
from shared.bloodwork.llm_extraction import ModelLabExtractor
from shared.chat_job import RetryLater
from shared.jobs import BloodworkAnalysisJob, BloodworkJob
from shared.resources import Resources

RETRY_BASE_SECONDS = 0.5


async def extract_bloodwork(ctx: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    resources: Resources = ctx["resources"]
    # Built once at worker start (worker/settings.py); None: the offline parser reads reports.
    extractor: ModelLabExtractor | None = ctx.get("lab_extractor")
    job = BloodworkJob.model_validate(payload)
    status = await extract_report(
        resources.sessionmaker, job.report_id, resources.settings.bloodwork_keep_pdf, extractor
    )
    return {"report_id": str(job.report_id), "status": status}


async def analyse_bloodwork(ctx: dict[str, Any], payload: dict[str, Any]) -> str | None:
    resources: Resources = ctx["resources"]
    job = BloodworkAnalysisJob.model_validate(payload)
    job_try: int = ctx["job_try"]
    max_tries = resources.settings.job_max_tries
    if job_try > max_tries:
        await fail_exhausted(resources, job)
        return None
    try:
        return await run_analysis_job(resources, job, job_try, last_try=job_try == max_tries)
    except RetryLater as error:
        raise Retry(defer=RETRY_BASE_SECONDS * 2 ** (job_try - 1)) from error
