"""Lab reports uploaded in a window: how many ended in each status, the markers reports most
often lacked, and why the failed ones failed (`lab_report.error` holds the reason shown to the
user, one of a few fixed messages: shared/bloodwork/)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.admin.window import Window
from shared.db.models import LabReportStatus

_IN_WINDOW = "created_at >= :since AND created_at < :before"
_STATUSES = text(f"SELECT status, count(*) FROM lab_report WHERE {_IN_WINDOW} GROUP BY status")
_MISSING = text(f"""
SELECT marker, count(*) AS reports
FROM lab_report CROSS JOIN LATERAL jsonb_array_elements_text(missing_markers) AS marker
WHERE {_IN_WINDOW} GROUP BY marker ORDER BY reports DESC, marker LIMIT :limit""")
_FAILURES = text(f"""
SELECT coalesce(error, '') AS reason, count(*) AS reports, max(updated_at) AS last_failed_at
FROM lab_report WHERE status = 'failed' AND {_IN_WINDOW}
GROUP BY reason ORDER BY reports DESC, reason""")


class StatusCount(BaseModel):
    status: LabReportStatus
    reports: int


class MissingMarker(BaseModel):
    marker: str
    reports: int = Field(description="Reports read without it.")


class FailureReason(BaseModel):
    reason: str = Field(description="The reason the user was shown.")
    reports: int
    last_failed_at: datetime


class BloodworkSummary(BaseModel):
    window: Window
    statuses: list[StatusCount] = Field(description="Every status, zero included.")
    missing_markers: list[MissingMarker] = Field(description="Most often missing first.")
    failures: list[FailureReason] = Field(description="Most frequent reason first.")


async def bloodwork_summary(
    sessionmaker: async_sessionmaker[AsyncSession], window: Window, markers: int
) -> BloodworkSummary:
    """The window's reports; at most `markers` missing markers."""
    params = window.params() | {"limit": markers}
    async with sessionmaker() as db:
        counts: dict[str, int] = dict((await db.execute(_STATUSES, params)).all())
        missing = (await db.execute(_MISSING, params)).mappings().all()
        failures = (await db.execute(_FAILURES, params)).mappings().all()
    return BloodworkSummary(
        window=window,
        statuses=[
            StatusCount(status=status, reports=counts.get(status.value, 0))
            for status in LabReportStatus
        ],
        missing_markers=[MissingMarker.model_validate(row) for row in missing],
        failures=[FailureReason.model_validate(row) for row in failures],
    )
