"""DB_PGBOUNCER against the real Postgres: statements run without any prepared statement left
on the server connection for a later transaction, which PgBouncer's transaction pooling may hand
to another client."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from izana.embedded import ServiceUrls
from shared.db.session import create_engine

pytestmark = pytest.mark.integration

# The statements of earlier queries (this query's own is prepared while it runs).
EARLIER_STATEMENTS = text(
    "SELECT name FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'"
)


async def statements_left_after_queries(engine: AsyncEngine) -> list[str]:
    """Runs a few queries in separate transactions on one connection, then lists the prepared
    statements its server session still holds."""
    async with engine.connect() as connection:
        for number in range(3):
            await connection.execute(text("SELECT CAST(:number AS integer)"), {"number": number})
            await connection.commit()
        return list((await connection.execute(EARLIER_STATEMENTS)).scalars())


@pytest.fixture
async def pgbouncer_engine(service_urls: ServiceUrls) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(service_urls.database_url, pool_size=1, max_overflow=0, pgbouncer=True)
    yield engine
    await engine.dispose()


@pytest.fixture
async def default_engine(service_urls: ServiceUrls) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(service_urls.database_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_by_default_prepared_statements_stay_on_the_connection(
    default_engine: AsyncEngine,
) -> None:
    assert await statements_left_after_queries(default_engine) != []


async def test_in_pgbouncer_mode_no_prepared_statement_stays(
    pgbouncer_engine: AsyncEngine,
) -> None:
    assert await statements_left_after_queries(pgbouncer_engine) == []
