"""Opens and closes the infrastructure every process needs: Redis, the ARQ pool, the database
and the PDF store. The pipeline's providers are composed on top (`shared/rag/assembly.py`).

Used by the API lifespan and by the worker's startup/shutdown, so both see the same wiring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.coalescing import EventTicker
from shared.config import Settings
from shared.db.session import create_engine, create_sessionmaker
from shared.events import EventPublisher
from shared.jobs import JobStore
from shared.storage.pdfs import PdfStore, PostgresPdfStore


@dataclass(frozen=True)
class Resources:
    settings: Settings
    redis: Redis
    arq: ArqRedis
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    jobs: JobStore
    pdf_store: PdfStore
    # Writes the buffered events of this process's jobs; None when every event goes at once.
    event_ticker: EventTicker | None

    def job_events(self, job_id: str, attempt: int | None = None) -> EventPublisher:
        """The publisher of a job's event stream, capped and expiring as configured; given
        `attempt`, it writes only while that attempt is the job's latest."""
        settings = self.settings
        return EventPublisher(
            self.redis, job_id, settings.events_max_len, settings.events_ttl_seconds, attempt
        )


def required_urls(settings: Settings) -> tuple[str, str]:
    if not settings.redis_url or not settings.database_url:
        raise RuntimeError(
            "REDIS_URL and DATABASE_URL must be resolved before opening resources "
            "(the `izana` commands start embedded servers when they are unset)"
        )
    return settings.redis_url, settings.database_url


def pdf_store(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> PdfStore:
    if settings.bloodwork_storage == "postgres":
        return PostgresPdfStore(sessionmaker)
    try:
        from shared.storage.s3 import S3PdfStore  # boto3 is the `s3` extra
    except ModuleNotFoundError as error:
        if error.name not in {"boto3", "botocore"}:
            raise
        raise RuntimeError(
            "BLOODWORK_STORAGE=s3 needs boto3, which is not installed: install the `s3` extra "
            "(pip install 'izana[s3]'), or use BLOODWORK_STORAGE=postgres"
        ) from error
    bucket = settings.bloodwork_s3_bucket
    assert bucket is not None  # Settings refuses s3 storage without a bucket
    return S3PdfStore(
        bucket,
        prefix=settings.bloodwork_s3_prefix,
        endpoint_url=settings.bloodwork_s3_endpoint_url,
        region=settings.bloodwork_s3_region,
    )


def arq_redis_settings(redis_url: str) -> RedisSettings:
    return RedisSettings.from_dsn(redis_url)


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    redis_url, database_url = required_urls(settings)
    redis: Redis = Redis.from_url(redis_url, decode_responses=True)
    arq = await create_pool(arq_redis_settings(redis_url))
    engine = create_engine(
        database_url, settings.db_pool_size, settings.db_max_overflow, settings.db_pgbouncer
    )
    sessionmaker = create_sessionmaker(engine)
    interval = settings.token_flush_interval_ms / 1000
    event_ticker = EventTicker(redis, interval) if interval > 0 else None
    try:
        yield Resources(
            settings=settings,
            redis=redis,
            arq=arq,
            engine=engine,
            sessionmaker=sessionmaker,
            jobs=JobStore(redis, settings.job_record_ttl_seconds),
            pdf_store=pdf_store(settings, sessionmaker),
            event_ticker=event_ticker,
        )
    finally:
        if event_ticker is not None:
            await event_ticker.aclose()
        await engine.dispose()
        await arq.aclose()
        await redis.aclose()
