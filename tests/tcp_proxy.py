"""A TCP proxy in front of Postgres that a test can cut and restore: a database outage as the
processes behind it see one (refused connections, established ones dropped)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import URL, make_url

from izana.processes import free_port

CHUNK_BYTES = 65536


def _target(database_url: str) -> tuple[URL, str | None, int]:
    """The URL, and the Unix socket directory (None for TCP) and port it points at."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    socket_dir = url.query.get("host")
    return url, socket_dir if isinstance(socket_dir, str) else None, url.port or 5432


class PostgresProxy:
    def __init__(self, database_url: str) -> None:
        self._url, self._socket_dir, self._port = _target(database_url)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The database URL through the proxy."""
        url = self._url.set(host="127.0.0.1", port=self.port)
        url = url.difference_update_query(["host"])
        return url.render_as_string(hide_password=False)

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._connections):
            writer.transport.abort()

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._socket_dir is not None:
            return await asyncio.open_unix_connection(f"{self._socket_dir}/.s.PGSQL.{self._port}")
        return await asyncio.open_connection(self._url.host or "127.0.0.1", self._port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await self._upstream()
        self._connections |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._connections -= {writer, upstream_writer}
            for end in (writer, upstream_writer):
                end.transport.abort()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await source.read(CHUNK_BYTES):
            sink.write(chunk)
            await sink.drain()
    sink.transport.abort()


@contextlib.asynccontextmanager
async def postgres_proxy(database_url: str, open_now: bool = True) -> AsyncIterator[PostgresProxy]:
    proxy = PostgresProxy(database_url)
    if open_now:
        await proxy.open()
    try:
        yield proxy
    finally:
        await proxy.cut()
