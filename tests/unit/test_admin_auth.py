from pathlib import Path

import pytest
from pydantic import SecretStr

from api.admin_auth import issue_admin_token
from api.errors import ApiError
from api.routes.admin import allowed_paths
from shared.config import Settings

pytestmark = pytest.mark.unit


def test_admin_access_is_off_without_a_pin() -> None:
    with pytest.raises(ApiError) as raised:
        issue_admin_token(Settings(admin_pin=None), "1234")
    assert raised.value.status == 503


def test_a_blank_pin_setting_means_no_pin() -> None:
    assert Settings(admin_pin=SecretStr("  ")).admin_pin is None


def test_only_paths_inside_the_ingest_roots_are_allowed(tmp_path: Path) -> None:
    settings = Settings(ingest_roots=[tmp_path], knowledge_base_path=tmp_path / "kb")
    assert allowed_paths(settings, [str(tmp_path / "a" / ".." / "b.md")]) == [
        str(tmp_path / "b.md")
    ]
    assert allowed_paths(settings, []) == [str(tmp_path / "kb")]
    with pytest.raises(ApiError) as raised:
        allowed_paths(settings, [str(tmp_path / ".." / "escape.md")])
    assert raised.value.status == 400
