import pytest
from pydantic import ValidationError

from shared.config import Environment, Settings

pytestmark = pytest.mark.unit

URLS = {"redis_url": "redis://127.0.0.1:6379/0", "database_url": "postgresql://db/izana"}
STRONG = "k" * 40


def test_development_runs_with_the_dev_secret_and_embedded_services() -> None:
    settings = Settings(
        environment=Environment.DEVELOPMENT, redis_url=None, database_url=None, _env_file=None
    )
    assert settings.secret_key.get_secret_value() == "dev-secret-change-me"
    assert settings.worker_max_jobs >= 50
    assert settings.worker_poll_delay_seconds < 0.5


@pytest.mark.parametrize("secret", ["change-me", "dev-secret-change-me", "", "secret"])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=Environment.PRODUCTION, secret_key=secret, **URLS, _env_file=None)


def test_production_refuses_short_secrets() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(environment=Environment.PRODUCTION, secret_key="x" * 20, **URLS, _env_file=None)


def test_production_needs_external_services() -> None:
    with pytest.raises(ValidationError, match="REDIS_URL"):
        Settings(
            environment=Environment.PRODUCTION,
            secret_key=STRONG,
            redis_url=None,
            database_url=None,
            _env_file=None,
        )


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION, secret_key=STRONG, **URLS, _env_file=None
    )
    assert settings.secret_key.get_secret_value() == STRONG
    assert STRONG not in repr(settings)


def test_s3_bloodwork_storage_needs_a_bucket() -> None:
    with pytest.raises(ValidationError, match="BLOODWORK_S3_BUCKET"):
        Settings(bloodwork_storage="s3", bloodwork_s3_bucket=" ", _env_file=None)


def test_s3_bloodwork_storage_with_a_bucket() -> None:
    settings = Settings(
        bloodwork_storage="s3",
        bloodwork_s3_bucket="izana-uploads",
        bloodwork_s3_endpoint_url="",
        _env_file=None,
    )
    assert settings.bloodwork_s3_bucket == "izana-uploads"
    assert settings.bloodwork_s3_endpoint_url is None  # blank means AWS itself
