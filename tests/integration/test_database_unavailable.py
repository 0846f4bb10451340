"""A database that is down, starting up or shutting down is a 503 with Retry-After, never a 500.

Real API process and real engine against a misbehaving server that answers the startup message
with a FATAL SQLSTATE (tests/fake_postgres.py), a port where nothing listens and a Unix socket
that does not exist; a real SQL error from the real Postgres stays a 500.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.error_handlers import install_error_handlers
from izana.embedded import ServiceUrls
from izana.processes import free_port, service_env, start_api, stop
from shared.db.errors import is_database_unavailable
from shared.db.session import create_engine
from tests.constants import NO_PROVIDERS, TEST_SECRET
from tests.fake_postgres import STARTING_UP, FakePostgres, fake_postgres

pytestmark = pytest.mark.integration

UNAVAILABLE = [
    STARTING_UP,
    ("57P01", "terminating connection due to administrator command"),
    ("57P02", "terminating connection because of crash of another server process"),
    ("08006", "connection failure"),
]
STARTUP_POLLS = 300  # x 0.1 s: how long the API process may take to answer /healthz


@pytest.fixture
async def fake() -> AsyncIterator[FakePostgres]:
    async with fake_postgres() as server:
        yield server


async def connect_error(database_url: str) -> Exception:
    """What a real query through the product's engine raises against `database_url`."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        return error
    finally:
        await engine.dispose()
    raise AssertionError(f"a query against {database_url} succeeded")


@pytest.mark.parametrize(("sqlstate", "message"), UNAVAILABLE)
async def test_a_server_that_refuses_with_sqlstate_is_unavailable(
    fake: FakePostgres, sqlstate: str, message: str
) -> None:
    fake.error = (sqlstate, message)
    error = await connect_error(fake.url)
    assert is_database_unavailable(error), repr(error)
    assert fake.connections >= 1


async def test_nothing_listening_is_unavailable() -> None:
    refused = await connect_error(f"postgresql://izana@127.0.0.1:{free_port()}/izana")
    assert isinstance(refused, ConnectionRefusedError)
    missing_socket = await connect_error("postgresql://izana@/izana?host=/nonexistent/izana-pg")
    assert is_database_unavailable(refused) and is_database_unavailable(missing_socket)


async def test_a_failed_query_on_a_live_database_is_not_unavailable(
    service_urls: ServiceUrls,
) -> None:
    engine = create_engine(service_urls.database_url)
    with pytest.raises(DBAPIError, match="no_such_table") as raised:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    await engine.dispose()
    assert not is_database_unavailable(raised.value)


def app_over(engine: AsyncEngine) -> FastAPI:
    """The product's error handlers over one route that queries `engine`."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/query")
    async def query() -> dict[str, int]:
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT 1 FROM no_such_table"))).one()
            return {"value": row[0]}

    return app


async def get_query(engine: AsyncEngine) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_over(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/query")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert "retry" in response.json()["error"]["message"]


async def test_the_error_mapping_tells_unavailable_from_a_bug(
    fake: FakePostgres, service_urls: ServiceUrls
) -> None:
    for database_url in (fake.url, f"postgresql://izana@127.0.0.1:{free_port()}/izana"):
        engine = create_engine(database_url)
        assert_unavailable(await get_query(engine))
        await engine.dispose()
    live = create_engine(service_urls.database_url)
    bug = await get_query(live)
    await live.dispose()
    assert bug.status_code == 500
    assert bug.json()["error"]["code"] == "internal_error"


async def wait_for_health(client: httpx.AsyncClient, base_url: str) -> None:
    for _ in range(STARTUP_POLLS):
        try:
            if (await client.get(f"{base_url}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the API process did not answer /healthz")


async def test_the_api_answers_503_while_postgres_starts_up(
    fake: FakePostgres, service_urls: ServiceUrls
) -> None:
    env = service_env(
        service_urls, **NO_PROVIDERS, ENVIRONMENT="test", SECRET_KEY=TEST_SECRET,
        LOG_LEVEL="WARNING", DATABASE_URL=fake.url,
    )  # fmt: skip
    api = start_api(env)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_for_health(client, api.base_url)
            for error in UNAVAILABLE:
                fake.error = error
                assert_unavailable(await client.post(f"{api.base_url}/v1/sessions"))
    finally:
        stop(api.process)
