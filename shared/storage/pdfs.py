"""Where an uploaded blood-work PDF waits until the worker has read it.

On one host the `lab_report.pdf` column is enough. Several API and worker hosts can instead share
an S3-compatible object store (AWS S3, MinIO, Cloudflare R2), which keeps megabytes of uploads
out of the database they also share (shared/storage/s3.py, the `s3` extra).
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from shared.db.models import LabReport


class PdfStoreUnavailable(Exception):
    """The store could not be reached or refused the request (not a missing upload)."""


class PdfStore(Protocol):
    async def put(self, session_id: uuid.UUID, report_id: uuid.UUID, content: bytes) -> None: ...

    async def get(self, session_id: uuid.UUID, report_id: uuid.UUID) -> bytes | None: ...

    async def delete(self, session_id: uuid.UUID, report_id: uuid.UUID) -> None: ...

    async def delete_session(self, session_id: uuid.UUID) -> int:
        """Deletes every upload of the session; returns how many there were."""
        ...


class PostgresPdfStore:
    """The upload in its own `lab_report` row, which exists before `put`."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def put(self, session_id: uuid.UUID, report_id: uuid.UUID, content: bytes) -> None:
        if not await self._set_pdf(_the_report(session_id, report_id), content):
            raise LookupError(f"no lab report {report_id} in session {session_id}")

    async def get(self, session_id: uuid.UUID, report_id: uuid.UUID) -> bytes | None:
        statement = select(col(LabReport.pdf)).where(_the_report(session_id, report_id))
        async with self._sessionmaker() as db:
            return (await db.execute(statement)).scalar_one_or_none()

    async def delete(self, session_id: uuid.UUID, report_id: uuid.UUID) -> None:
        await self._set_pdf(_the_report(session_id, report_id), None)

    async def delete_session(self, session_id: uuid.UUID) -> int:
        stored = (col(LabReport.session_id) == session_id) & col(LabReport.pdf).is_not(None)
        return await self._set_pdf(stored, None)

    async def _set_pdf(self, where: ColumnElement[bool], pdf: bytes | None) -> int:
        """Sets `pdf` in the rows matching `where`; returns how many they were."""
        statement = update(LabReport).where(where).values(pdf=pdf).returning(col(LabReport.id))
        async with self._sessionmaker() as db:
            changed = len((await db.execute(statement)).all())
            await db.commit()
        return changed


def _the_report(session_id: uuid.UUID, report_id: uuid.UUID) -> ColumnElement[bool]:
    return (col(LabReport.id) == report_id) & (col(LabReport.session_id) == session_id)
