"""A small HTTP/1.1 server for one ASGI app, on h11, that can also reset a connection.

Uvicorn answers an app's exception with a 500, but the emulator must be able to drop a
connection with no response at all. An app asks for that by sending `{"type": RESET_MESSAGE}`;
the server then closes the socket with a TCP reset (SO_LINGER 0). When a client disconnects,
the app's work on its request is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from http.client import responses
from urllib.parse import unquote

import h11
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope

log = logging.getLogger(__name__)

RESET_MESSAGE = "emulator.connection.reset"
READ_SIZE = 65_536


class AsgiServer:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def start(self, host: str, port: int) -> int:
        """Listen on `host:port` (port 0: any free one) and return the port."""
        self._server = await asyncio.start_server(self._serve_connection, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def stop(self) -> None:
        """Stop listening and cut every open connection, which cancels the requests in flight."""
        if self._server is None:
            return
        self._server.close()
        for writer in self._connections.values():
            writer.transport.abort()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections[task] = writer
        try:
            await _Connection(self._app, reader, writer).serve()
        except (OSError, h11.ProtocolError):
            pass  # the client went away, or did not speak HTTP/1.1
        finally:
            if task is not None:
                self._connections.pop(task, None)
            writer.close()


class _Connection:
    """One keep-alive connection: its requests are answered one after another."""

    def __init__(
        self, app: ASGIApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._app = app
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.SERVER)
        self._disconnected = asyncio.Event()
        self._started = False
        self._complete = False

    async def serve(self) -> None:
        while isinstance(request := await self._next_event(), h11.Request):
            body = bytearray()
            while isinstance(event := await self._next_event(), h11.Data):
                body += event.data
            await self._exchange(request, bytes(body))
            if self._writer.is_closing() or self._h11.our_state is not h11.DONE:
                return
            self._h11.start_next_cycle()

    async def _next_event(self) -> object:
        while (event := self._h11.next_event()) is h11.NEED_DATA:
            self._h11.receive_data(await self._reader.read(READ_SIZE))
        return event

    async def _exchange(self, request: h11.Request, body: bytes) -> None:
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self._disconnected.wait()
            return {"type": "http.disconnect"}

        self._started = self._complete = False
        app = asyncio.create_task(self._run_app(self._scope(request), receive))
        watch = asyncio.create_task(self._watch_disconnect())
        try:
            await asyncio.wait({app, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            app.cancel()
            watch.cancel()
            await asyncio.gather(app, watch, return_exceptions=True)

    async def _watch_disconnect(self) -> None:
        """Keep reading while the app runs: bytes are a pipelined request, EOF a disconnect."""
        while data := await self._reader.read(READ_SIZE):
            self._h11.receive_data(data)
        self._disconnected.set()
        self._writer.close()

    async def _run_app(self, scope: Scope, receive: Receive) -> None:
        try:
            await self._app(scope, receive, self._send)
        except (OSError, ClientDisconnect):
            self._writer.close()
            return
        except Exception:
            log.exception("emulator request failed")
        if self._writer.is_closing():
            return
        if not self._started:
            self._write(h11.Response(status_code=500, headers=[("content-length", "0")]))
            self._write(h11.EndOfMessage())
        elif not self._complete:
            self._writer.close()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind == RESET_MESSAGE:
            self._reset()
            return
        if self._writer.is_closing():
            raise ConnectionResetError("the client closed the connection")
        if kind == "http.response.start":
            status: int = message["status"]
            reason = responses.get(status, "").encode()
            headers = list(message.get("headers", []))
            self._write(h11.Response(status_code=status, headers=headers, reason=reason))
            self._started = True
        elif kind == "http.response.body":
            if body := message.get("body", b""):
                self._write(h11.Data(data=body))
            if not message.get("more_body", False):
                self._write(h11.EndOfMessage())
                self._complete = True
            await self._writer.drain()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    def _write(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data:
            self._writer.write(data)

    def _reset(self) -> None:
        sock = self._writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    def _scope(self, request: h11.Request) -> Scope:
        path, _, query = request.target.partition(b"?")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": request.http_version.decode(),
            "method": request.method.decode(),
            "scheme": "http",
            "path": unquote(path.decode("latin-1")),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": list(request.headers),
            "client": tuple(self._writer.get_extra_info("peername")[:2]),
            "server": tuple(self._writer.get_extra_info("sockname")[:2]),
            "state": {},
        }
