"""A misbehaving Postgres: a TCP server that answers every startup message with a FATAL
ErrorResponse carrying a chosen SQLSTATE, as a real server does while it starts up or shuts down.

It speaks just enough of the wire protocol (v3) for a client to get that far: it declines
SSL/GSS encryption requests with `N`, reads the startup message and answers the error.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

ENCRYPTION_REQUESTS = frozenset({80877103, 80877104})  # SSLRequest, GSSENCRequest
STARTING_UP = ("57P03", "the database system is starting up")


def error_response(sqlstate: str, message: str) -> bytes:
    fields = (("S", "FATAL"), ("V", "FATAL"), ("C", sqlstate), ("M", message))
    body = b"".join(kind.encode() + value.encode() + b"\0" for kind, value in fields) + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


@dataclass
class FakePostgres:
    port: int
    error: tuple[str, str] = STARTING_UP  # (SQLSTATE, message) for the next connections
    connections: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://izana@127.0.0.1:{self.port}/izana"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                body = await reader.readexactly(length - 4)
                if struct.unpack("!i", body[:4])[0] in ENCRYPTION_REQUESTS:
                    writer.write(b"N")
                    await writer.drain()
                    continue
                writer.write(error_response(*self.error))
                await writer.drain()
                return
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()


@asynccontextmanager
async def fake_postgres() -> AsyncIterator[FakePostgres]:
    """A FakePostgres listening on a free port of 127.0.0.1 for as long as the block runs."""
    fake = FakePostgres(port=0)
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake
