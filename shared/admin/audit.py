"""The audit of admin requests: one `admin_audit` row per request to an admin route."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import AdminAudit, utcnow

# Longer values are cut to this: a request line cannot fill the table.
MAX_TEXT_CHARS = 2048


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str
    query: str
    client_ip: str
    request_id: str
    status: int


async def record_admin_request(
    sessionmaker: async_sessionmaker[AsyncSession], request: AdminRequest
) -> None:
    """Store the row durably (committed before this returns)."""
    row = asdict(request) | {
        "at": utcnow(),
        "method": request.method[:8],
        "path": request.path[:MAX_TEXT_CHARS],
        "query": request.query[:MAX_TEXT_CHARS],
        "client_ip": request.client_ip[:64],
        "request_id": request.request_id[:64],
    }
    async with sessionmaker() as db, db.begin():
        await db.execute(insert(AdminAudit).values(row))
