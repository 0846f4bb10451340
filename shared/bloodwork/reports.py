"""A lab report's row: recorded at upload, found by its id or its job's, then through its
reading: claimed, its progress, its outcome, or given up.

Every change is one conditional UPDATE, so workers that run the same job twice, and the API
that gives up on an abandoned report, never overwrite each other: an outcome is final. Each
write also moves `updated_at`, the clock by which a report that stopped moving is abandoned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from shared.db.models import PENDING_REPORT_STATUSES, LabReport, LabReportStatus, utcnow

# Progress shown while polling: read from the store, text read, markers read.
CLAIMED_PERCENT = 10
TEXT_READ_PERCENT = 50
DONE_PERCENT = 100
ABANDONED = "reading the report stopped before it finished; please upload it again"

_PENDING = [status.value for status in PENDING_REPORT_STATUSES]


@dataclass(frozen=True)
class Outcome:
    status: LabReportStatus
    markers: list[dict[str, Any]] = field(default_factory=list)
    missing_markers: list[str] = field(default_factory=list)
    error: str | None = None


Sessionmaker = async_sessionmaker[AsyncSession]


async def record(sessionmaker: Sessionmaker, report: LabReport) -> bool:
    """Record an uploaded report; False when its session already has a pending one
    (`uq_lab_report_pending`)."""
    async with sessionmaker() as db:
        db.add(LabReport.model_validate(report))
        try:
            await db.commit()
        except IntegrityError:
            return False
    return True


async def forget(sessionmaker: Sessionmaker, report_id: uuid.UUID) -> None:
    async with sessionmaker() as db:
        await db.execute(delete(LabReport).where(col(LabReport.id) == report_id))
        await db.commit()


async def find(sessionmaker: Sessionmaker, report_or_job_id: uuid.UUID) -> LabReport | None:
    """The report known by its id or by the id of the job reading it."""
    query = select(LabReport).where(
        or_(
            col(LabReport.id) == report_or_job_id,
            col(LabReport.job_id) == report_or_job_id.hex,
        )
    )
    async with sessionmaker() as db:
        found: LabReport | None = (await db.execute(query)).scalar_one_or_none()
    return found


async def claim(sessionmaker: Sessionmaker, report_id: uuid.UUID) -> LabReport | None:
    """The report, marked `processing` when it was still pending (its status says which)."""
    async with sessionmaker() as db:
        report = await db.get(LabReport, report_id)
        if report is None or report.status not in PENDING_REPORT_STATUSES:
            return report
        report.status = LabReportStatus.PROCESSING
        report.progress = CLAIMED_PERCENT
        report.updated_at = utcnow()
        await db.commit()
        return report


async def record_progress(sessionmaker: Sessionmaker, report_id: uuid.UUID, percent: int) -> None:
    await _update_processing(sessionmaker, report_id, progress=percent)


async def record_outcome(
    sessionmaker: Sessionmaker, report_id: uuid.UUID, outcome: Outcome
) -> LabReportStatus | None:
    """Record `outcome` unless the report already has one; the report's status afterwards."""
    recorded = await _update_processing(
        sessionmaker,
        report_id,
        status=outcome.status.value,
        markers=outcome.markers,
        missing_markers=outcome.missing_markers,
        error=outcome.error,
        progress=DONE_PERCENT,
    )
    if recorded:
        return outcome.status
    async with sessionmaker() as db:
        report = await db.get(LabReport, report_id)
    return None if report is None else report.status


async def give_up(sessionmaker: Sessionmaker, report_id: uuid.UUID, error: str) -> bool:
    """End a pending report `failed` with `error`; False when it already has an outcome."""
    statement = _pending_update(error).where(col(LabReport.id) == report_id)
    return await _rows_changed(sessionmaker, statement) > 0


async def give_up_abandoned(
    sessionmaker: Sessionmaker, session_id: uuid.UUID, stale_after: timedelta
) -> int:
    """Fail the session's pending reports that have not moved for `stale_after` (a lost job, a
    worker that timed out); how many there were."""
    statement = _pending_update(ABANDONED).where(
        col(LabReport.session_id) == session_id,
        col(LabReport.updated_at) < utcnow() - stale_after,
    )
    return await _rows_changed(sessionmaker, statement)


def is_abandoned(report: LabReport, stale_after: timedelta) -> bool:
    return report.status in PENDING_REPORT_STATUSES and report.updated_at < utcnow() - stale_after


def _pending_update(error: str) -> Any:
    return (
        update(LabReport)
        .where(col(LabReport.status).in_(_PENDING))
        .values(
            status=LabReportStatus.FAILED.value,
            error=error,
            progress=DONE_PERCENT,
            updated_at=utcnow(),
        )
    )


async def _update_processing(
    sessionmaker: Sessionmaker, report_id: uuid.UUID, **values: Any
) -> bool:
    statement = (
        update(LabReport)
        .where(
            col(LabReport.id) == report_id,
            col(LabReport.status) == LabReportStatus.PROCESSING.value,
        )
        .values(updated_at=utcnow(), **values)
    )
    return await _rows_changed(sessionmaker, statement) > 0


async def _rows_changed(sessionmaker: Sessionmaker, statement: Any) -> int:
    async with sessionmaker() as db:
        result = await db.execute(statement)
        await db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
