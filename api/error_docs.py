"""The errors of the catalogue (api/errors.py) in the OpenAPI schema.

A route passes the errors it can raise to `error_responses` as its `responses=`: one response
per status, with the real body (`ErrorBody`), the codes and when each happens in its
description, and an example of each. The `default` response says that any other status has
that body too; it also keeps FastAPI from documenting its own `{"detail": ...}` 422 body,
which this API never sends.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from api.errors import (
    ApiError,
    ErrorBody,
    InternalError,
    InvalidJson,
    RequestTimeout,
    ValidationFailed,
    catalogue,
)


@dataclass(frozen=True)
class ErrorShape:
    """The body errors are answered with, and an error's example in it."""

    model: type[BaseModel]
    example: Callable[[type[ApiError]], dict[str, Any]]


API_SHAPE = ErrorShape(
    ErrorBody, lambda error: {"error": {"code": error.code, "message": error.message}}
)

# What a route that reads a JSON body can answer besides its own errors.
BODY_ERRORS = (RequestTimeout, InvalidJson, ValidationFailed)

RETRY_AFTER = {
    "description": "Whole seconds to wait before retrying.",
    "schema": {"type": "integer"},
}


def when(error: type[ApiError]) -> str:
    """When `error` happens: its docstring on one line."""
    return " ".join((inspect.getdoc(error) or "").split())


def error_responses(
    *errors: type[ApiError], shape: ErrorShape = API_SHAPE
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can raise `errors`, answered in `shape`; every route can
    also fail unexpectedly (`internal_error`)."""
    listed: list[type[ApiError]] = [*errors, InternalError]
    by_status: defaultdict[int, list[type[ApiError]]] = defaultdict(list)
    for error in dict.fromkeys(listed):  # each once, in the order given
        by_status[error.status].append(error)
    responses: dict[int | str, dict[str, Any]] = {
        status: _response(by_status[status], shape) for status in sorted(by_status)
    }
    responses["default"] = {
        "model": shape.model,
        "description": "Any other error status has the same body.",
    }
    return responses


def _response(errors: list[type[ApiError]], shape: ErrorShape) -> dict[str, Any]:
    examples = {
        error.code: {"summary": when(error), "value": shape.example(error)} for error in errors
    }
    response: dict[str, Any] = {
        "model": shape.model,
        "description": "\n".join(f"- `{error.code}`: {when(error)}" for error in errors),
        "content": {"application/json": {"examples": examples}},
    }
    if any(error.sends_retry_after for error in errors):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def catalogue_table() -> str:
    """Every error as a Markdown table, for the schema's description."""
    rows = [f"| {error.status} | `{error.code}` | {when(error)} |" for error in catalogue()]
    return "\n".join(["| Status | Code | When |", "| --- | --- | --- |", *rows])
