"""Which errors mean "Postgres is unavailable right now" (retry later) rather than a bug.

The API answers these with 503 and `Retry-After`; a worker treats them as a blip to wait out.
They reach the code in three shapes, all recognised here:

- asyncpg's own errors, which carry a SQLSTATE: class 08 (connection exceptions) and
  57P01-57P03 (admin shutdown, crash shutdown, "the database system is starting up");
- SQLAlchemy's wrappings of them (`DBAPIError` with the driver's error in `orig`, the asyncpg
  error as its `__cause__`), and SQLAlchemy's own `OperationalError` / `InterfaceError` and
  invalidated connections;
- the socket's own errors when nothing listens: connection refused or reset, or a Unix socket
  that does not exist (a stopped embedded Postgres removes it).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

CONNECTION_EXCEPTION_CLASS = "08"
SERVER_NOT_ACCEPTING = frozenset(
    {
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up, shutting down, in recovery
    }
)
UNREACHABLE_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ENOENT,
     errno.EHOSTUNREACH, errno.ENETUNREACH}
)  # fmt: skip
MAX_CHAIN = 10  # exceptions are chained a few levels deep at most; a bound guards a cycle


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error`, or an error it wraps, says Postgres cannot be reached or is not
    accepting connections (starting, stopping, restarting)."""
    return any(_says_unavailable(link) for link in _chain(error))


def _says_unavailable(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(CONNECTION_EXCEPTION_CLASS) or sqlstate in SERVER_NOT_ACCEPTING
    return _unreachable_socket(error)


def _unreachable_socket(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | socket.gaierror):
        return True
    # A Unix socket path that does not exist: ENOENT from connect(), which names no file.
    return (
        isinstance(error, OSError) and error.errno in UNREACHABLE_ERRNOS and error.filename is None
    )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, the driver error SQLAlchemy wrapped (`orig`) and their causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < MAX_CHAIN:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
