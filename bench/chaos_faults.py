"""The faults of the chaos benchmark, done to a fleet's real processes and embedded servers:
SIGKILL and SIGSTOP/SIGCONT of API and worker processes, a SIGKILLed Redis started again on the
same socket and directory (its append-only file brings the data back), and the embedded
Postgres stopped and started again with its own `pg_ctl`."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import redis

from bench.fleet import Fleet
from izana.embedded import EmbeddedRedis

# pgserver runs Postgres as this system user when started by root (its own rule).
PGSERVER_ROOT_USER = "pgserver"
PG_CTL_TIMEOUT_SECONDS = 60


def kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()


def pause(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGSTOP)


def resume(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGCONT)


def check_embedded(fleet: Fleet) -> None:
    """The faults need the fleet's own servers, not ones named by REDIS_URL / DATABASE_URL."""
    if not fleet.urls.redis_url.endswith(str(redis_dir(fleet) / "redis.sock")):
        raise SystemExit("chaos restarts its own Redis and Postgres: unset REDIS_URL")
    if not (postgres_dir(fleet) / "postmaster.pid").exists():
        raise SystemExit("chaos restarts its own Redis and Postgres: unset DATABASE_URL")


def redis_dir(fleet: Fleet) -> Path:
    return (fleet.data_dir / "redis").resolve()


def postgres_dir(fleet: Fleet) -> Path:
    return (fleet.data_dir / "postgres").resolve()


def kill_redis(fleet: Fleet) -> None:
    """SIGKILL the fleet's redis-server (its pid from INFO), and wait until it stops answering
    (it stays a zombie until the fleet that started it reaps it)."""
    client = redis.Redis.from_url(fleet.urls.redis_url)
    info = cast(dict[str, Any], client.info("server"))
    pid = int(info["process_id"])
    client.close()
    os.kill(pid, signal.SIGKILL)
    while EmbeddedRedis(redis_dir(fleet)).is_running():
        time.sleep(0.01)


def start_redis(fleet: Fleet) -> EmbeddedRedis:
    """A new redis-server on the same socket and directory, loading the append-only file; the
    caller stops it."""
    server = EmbeddedRedis(redis_dir(fleet))
    server.start()
    return server


@dataclass(frozen=True)
class StoppedPostgres:
    pgdata: Path
    socket_dir: str


def stop_postgres(fleet: Fleet) -> StoppedPostgres:
    """`pg_ctl stop -m fast`: clients are disconnected (57P01) and the socket goes away."""
    pgdata = postgres_dir(fleet)
    socket_dir = (pgdata / "postmaster.pid").read_text().splitlines()[4].strip()
    _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"])
    return StoppedPostgres(pgdata, socket_dir)


def start_postgres(stopped: StoppedPostgres) -> None:
    """Start it again as pgserver does: the same Unix socket directory, no TCP listener."""
    log = str(stopped.pgdata / "log")
    arguments = ["-w", "-o", '-h ""', "-o", f"-k {stopped.socket_dir}", "-l", log, "start"]
    _pg_ctl(stopped.pgdata, arguments)


def _pg_ctl(pgdata: Path, arguments: list[str]) -> None:
    from pgserver._commands import POSTGRES_BIN_PATH  # heavy import, only when used

    user = PGSERVER_ROOT_USER if os.geteuid() == 0 else None
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), *arguments],
        check=True, user=user, timeout=PG_CTL_TIMEOUT_SECONDS,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
