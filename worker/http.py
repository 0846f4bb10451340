"""The worker's own HTTP port: Prometheus metrics and the orchestrator's probes.

- `GET /metrics`: this process's counters, and the queue and the breakers read from Redis now.
- `GET /livez`: 200 while the event loop answers (a blocked or dead loop fails it).
- `GET /readyz`: 200 once the worker has started (models loaded) and while it takes jobs and
  reaches Redis; 503 otherwise, e.g. after SIGTERM.

A few lines of asyncio rather than a framework: the worker serves three fixed paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from shared.observability.metrics import exposition

log = logging.getLogger(__name__)

READ_TIMEOUT_SECONDS = 5.0
Response = tuple[int, bytes, str]
Readiness = Callable[[], Awaitable[bool]]

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
_TEXT = "text/plain; charset=utf-8"


class WorkerHttp:
    def __init__(self, port: int, ready: Readiness, host: str = "0.0.0.0") -> None:
        self._host = host
        self._port = port
        self._ready = ready
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen by the system when asked for 0)."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        log.info("worker http listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, path = await asyncio.wait_for(_request_line(reader), READ_TIMEOUT_SECONDS)
            status, body, content_type = await self._respond(method, path)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (body if method == "GET" else b""))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass  # a client that went away or sent no request line
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, method: str, path: str) -> Response:
        if method not in ("GET", "HEAD"):
            return 405, b"", _TEXT
        if path == "/metrics":
            body, content_type = await exposition()
            return 200, body, content_type
        if path == "/livez":
            return 200, b"ok\n", _TEXT
        if path == "/readyz":
            ready = await self._ready()
            return (200, b"ready\n", _TEXT) if ready else (503, b"not ready\n", _TEXT)
        return 404, b"", _TEXT


async def _request_line(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and path of the request; its headers are read and ignored."""
    method, target, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
    while (await reader.readline()).strip():
        pass
    return method, target.split("?", 1)[0]
