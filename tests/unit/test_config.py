import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.config import Environment, Settings

pytestmark = pytest.mark.unit

URLS = {"redis_url": "redis://127.0.0.1:6379/0", "database_url": "postgresql://db/izana"}
STRONG = "k" * 40
PLACEHOLDERS = ("change-me", "dev-secret-change-me", "", "secret")


def test_development_runs_with_a_generated_secret_and_embedded_services(tmp_path: Path) -> None:
    settings = Settings(
        environment=Environment.DEVELOPMENT,
        redis_url=None,
        database_url=None,
        data_dir=tmp_path,
        _env_file=None,
    )
    key = settings.secret_key.get_secret_value()
    assert len(key) >= 32 and key not in PLACEHOLDERS
    kept = tmp_path / "secret_key"
    assert kept.read_text() == key and stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = Settings(environment=Environment.TEST, data_dir=tmp_path, _env_file=None)
    assert again.secret_key.get_secret_value() == key  # generated once, then kept
    elsewhere = Settings(data_dir=tmp_path / "other", _env_file=None)
    assert elsewhere.secret_key.get_secret_value() != key
    assert settings.worker_max_jobs >= 50
    assert settings.worker_poll_delay_seconds < 0.5


@pytest.mark.parametrize("unset", [{}, {"secret_key": " "}])
def test_production_needs_a_secret_key(unset: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be set in production"):
        Settings(environment=Environment.PRODUCTION, **URLS, **unset, _env_file=None)


def test_production_never_trusts_every_proxy() -> None:
    with pytest.raises(ValidationError, match="FORWARDED_ALLOW_IPS"):
        Settings(
            environment=Environment.PRODUCTION,
            secret_key=STRONG,
            forwarded_allow_ips="*",
            **URLS,
            _env_file=None,
        )


def test_forwarded_allow_ips_is_a_comma_separated_list() -> None:
    settings = Settings(forwarded_allow_ips="10.0.0.7, 10.1.0.0/16", _env_file=None)
    assert settings.forwarded_allow_ips == ["10.0.0.7", "10.1.0.0/16"]
    assert Settings(secret_key=STRONG, _env_file=None).forwarded_allow_ips == []


@pytest.mark.parametrize("secret", PLACEHOLDERS)
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


@pytest.mark.parametrize("pin", ["1234", "2468-test", "111111111111", "abcabcabcabc"])
def test_production_refuses_a_weak_admin_pin(pin: str) -> None:
    with pytest.raises(ValidationError, match="ADMIN_PIN must be at least 12 characters"):
        Settings(
            environment=Environment.PRODUCTION,
            secret_key=STRONG,
            admin_pin=pin,
            **URLS,
            _env_file=None,
        )


def test_production_accepts_a_strong_admin_pin_and_none() -> None:
    for pin in ("plum-7-orbit-lantern", None):
        settings = Settings(
            environment=Environment.PRODUCTION,
            secret_key=STRONG,
            admin_pin=pin,
            **URLS,
            _env_file=None,
        )
        assert (settings.admin_pin is None) is (pin is None)


def test_an_unset_secret_that_cannot_be_kept_is_a_clear_error(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(ValidationError, match="SECRET_KEY is unset and cannot be kept"):
        Settings(data_dir=blocked / "data", _env_file=None)
