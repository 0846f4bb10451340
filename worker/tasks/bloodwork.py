"""ARQ tasks for `bloodwork.extract` (read an uploaded report's markers) and
`bloodwork.analysis` (stream the analysis of the markers the user confirmed)."""

from __future__ import annotations

from typing import Any

from shared.bloodwork.analysis import fail_exhausted, run_analysis_job
from shared.bloodwork.extraction import extract_report
from shared.bloodwork.llm_extraction import ModelLabExtractor
from shared.jobs import BloodworkAnalysisJob, BloodworkJob
from shared.resources import Resources
from worker.tasks.retries import attempt_job


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
    job = BloodworkAnalysisJob.model_validate(payload)
    return await attempt_job(ctx, job, run_analysis_job, fail_exhausted)
