"""ARQ task for `kb.ingest`: the same ingestion as `izana ingest`, run by a worker.

Ingestion is idempotent (unchanged files are skipped), so a retried job redoes only what the
failed attempt had not committed. Progress goes to the worker's log as JSON lines.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from shared.jobs import IngestJob
from shared.knowledge.ingest.progress import RecordProgress, log_records
from shared.rag.assembly import product_ingestor
from shared.resources import Resources

log = logging.getLogger(__name__)


async def ingest_knowledge(ctx: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    resources: Resources = ctx["resources"]
    job = IngestJob.model_validate(payload)
    progress = RecordProgress(log_records(log))
    ingestor = product_ingestor(resources, ctx["providers"], job.collection, job.category, progress)
    paths = [Path(path) for path in job.paths]
    report = await (ingestor.delete(paths) if job.delete else ingestor.ingest(paths))
    return {
        "collection": report.collection,
        "kb_version": report.version,
        "files": [outcome.summary() for outcome in report.files],
    }
