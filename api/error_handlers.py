"""Exception handlers: every failure is answered with an error of the catalogue (api/errors.py)."""

from __future__ import annotations

import logging
from typing import Any

from asyncpg import PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import (
    ApiError,
    BadRequest,
    InternalError,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    RequestTimeout,
    Unavailable,
    ValidationFailed,
)
from api.openai_errors import OPENAI_PATHS, openai_error_response
from shared.db.errors import is_database_unavailable
from shared.storage.pdfs import PdfStoreUnavailable

log = logging.getLogger(__name__)

# The framework's own HTTP errors: an unknown path or method (or docs asset), a multipart body
# that cannot be parsed, and a body that came too slowly (api/middleware.py). No other one can
# happen here (no security classes, no framework body limit).
FRAMEWORK_ERRORS: dict[int, type[ApiError]] = {
    error.status: error for error in (BadRequest, NotFound, MethodNotAllowed, RequestTimeout)
}


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in error["loc"][1:]), "message": error["msg"]}
        for error in exc.errors()
    ]


def _respond(request: Request, error: ApiError) -> JSONResponse:
    """The error's response: OpenAI's shape on the OpenAI-compatible routes."""
    if request.url.path.startswith(OPENAI_PATHS):
        return openai_error_response(error)
    return error.response()


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return _respond(request, InvalidJson())
    return _respond(request, ValidationFailed(_field_errors(exc)))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error = FRAMEWORK_ERRORS.get(exc.status_code)
    if error is None:  # a framework error missing from the catalogue: a bug to fix
        return await _unexpected_error(request, exc)
    return _respond(request, error(str(exc.detail), headers=exc.headers))


async def _dependency_down(request: Request, exc: Exception) -> JSONResponse:
    log.error("dependency unavailable: %s", type(exc).__name__)
    return _respond(request, Unavailable())


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 while Postgres is unreachable, starting or shutting down; any other database or
    socket error is a bug (500)."""
    if is_database_unavailable(exc):
        return await _dependency_down(request, exc)
    return await _unexpected_error(request, exc)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return _respond(request, InternalError())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for dependency_error in (RedisConnectionError, RedisTimeoutError, PdfStoreUnavailable):
        app.add_exception_handler(dependency_error, _dependency_down)
    # SQLAlchemy's errors, asyncpg's raw ones (a failed connect is not always wrapped) and the
    # socket's: `is_database_unavailable` tells an unavailable database from a bug.
    for database_error in (DBAPIError, PostgresError, OSError):
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
