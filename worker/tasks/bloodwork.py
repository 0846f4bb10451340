"""ARQ task for `bloodwork.extract`: read the markers of an uploaded lab report."""

from __future__ import annotations

from typing import Any

from shared.bloodwork.extraction import extract_report
from shared.bloodwork.llm_extraction import ModelLabExtractor
from shared.jobs import BloodworkJob
from shared.resources import Resources


async def extract_bloodwork(ctx: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    resources: Resources = ctx["resources"]
    # Built once at worker start (worker/settings.py); None: the offline parser reads reports.
    extractor: ModelLabExtractor | None = ctx.get("lab_extractor")
    job = BloodworkJob.model_validate(payload)
    status = await extract_report(
        resources.sessionmaker, job.report_id, resources.settings.bloodwork_keep_pdf, extractor
    )
    return {"report_id": str(job.report_id), "status": status}
