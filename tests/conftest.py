"""Shared fixtures: real Redis and Postgres (embedded ones when no URLs are given)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from emulator import EmulatorConfig, RunningEmulator, running_emulator
from izana.embedded import ServiceUrls, embedded_services
from shared.config import Environment, Settings
from shared.db.migrate import upgrade_to_head
from shared.rag.assembly import Providers, build_providers, ingest_shipped
from shared.resources import Resources, open_resources
from tests.constants import NO_PROVIDERS, ROOT, TEST_SECRET


@pytest.fixture(scope="session")
def service_urls() -> Iterator[ServiceUrls]:
    """REDIS_URL / DATABASE_URL when set, otherwise embedded servers under .izana/test."""
    base = Settings(
        redis_url=os.environ.get("REDIS_URL"),
        database_url=os.environ.get("DATABASE_URL"),
        data_dir=ROOT / ".izana" / "test",
    )
    with embedded_services(base) as urls:
        upgrade_to_head(urls.database_url)
        yield urls


def offline_settings(redis_url: str, database_url: str) -> Settings:
    """Offline providers whatever keys the environment holds; tests add the ones they need."""
    return Settings.model_validate(
        {
            "environment": Environment.TEST,
            "secret_key": TEST_SECRET,
            "redis_url": redis_url,
            "database_url": database_url,
            "data_dir": ROOT / ".izana" / "test",
            **{name.lower(): None for name in NO_PROVIDERS},
        }
    )


@pytest.fixture(scope="session")
def settings(service_urls: ServiceUrls) -> Settings:
    return offline_settings(service_urls.redis_url, service_urls.database_url)


@pytest.fixture(scope="session")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def providers(resources: Resources) -> Providers:
    """The offline providers, as a worker with the test settings builds them."""
    return build_providers(resources)


@pytest.fixture(scope="session")
async def knowledge_base(resources: Resources, providers: Providers) -> int:
    """The shipped sample knowledge base, ingested once (a no-op when already there)."""
    await ingest_shipped(resources, providers)
    return await providers.store.count()


@pytest.fixture(scope="session")
async def pgvector(resources: Resources) -> None:
    """Skips a test that needs dense search when the Postgres under test lacks pgvector."""
    from shared.providers.vectorstore.pgvector import pgvector_installed

    if not await pgvector_installed(resources.sessionmaker):
        pytest.skip("this Postgres has no pgvector extension (the embedded one has)")


@pytest.fixture(scope="session")
async def emulator_server() -> AsyncIterator[RunningEmulator]:
    async with running_emulator() as emulator:
        yield emulator


@pytest.fixture
async def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    """The provider emulator with default settings, no counters and no vectors."""
    await emulator_server.configure(**EmulatorConfig().model_dump(mode="json"))
    await emulator_server.reset()
    return emulator_server
