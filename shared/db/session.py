"""Async engine and session factory for Postgres through asyncpg."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_database_url(database_url: str) -> str:
    """Turn `postgres://` / `postgresql://` URLs into SQLAlchemy's asyncpg form."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(
    database_url: str, pool_size: int = 10, max_overflow: int = 10, pgbouncer: bool = False
) -> AsyncEngine:
    return create_async_engine(
        async_database_url(database_url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # A ping per checkout would cost a round trip on every query; recycle instead.
        pool_recycle=1800,
        connect_args=pgbouncer_connect_args() if pgbouncer else {},
    )


def pgbouncer_connect_args() -> dict[str, object]:
    """asyncpg behind PgBouncer's transaction pooling, where two statements of one client
    connection may run on different server connections: no statement is cached for reuse
    (asyncpg's cache, then SQLAlchemy's), and the statements SQLAlchemy still prepares get unique
    names, so they never collide with another client's on a shared server connection."""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__",
    }


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database (readiness)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
