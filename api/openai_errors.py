"""Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, on the
OpenAI-compatible routes (api/openai_compat.py), so that an OpenAI SDK raises them as its own
error types; `code` is this API's code of the catalogue (api/errors.py)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.error_docs import ErrorShape
from api.errors import ApiError

# The routes whose errors have OpenAI's shape.
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")
_ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}


class OpenAIErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str
    type: str = Field(
        description="invalid_request_error, authentication_error, permission_error, "
        "rate_limit_error or server_error."
    )
    param: str | None = Field(description="The request field at fault, if one is.")
    code: str = Field(description="This API's error code (docs/api.md).")


class OpenAIErrorBody(BaseModel):
    """The body of an error of the OpenAI-compatible routes."""

    model_config = ConfigDict(extra="forbid")

    error: OpenAIErrorDetail


def error_type(status: int) -> str:
    return _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def _body(error: ApiError | type[ApiError], param: str | None = None) -> dict[str, Any]:
    detail = OpenAIErrorDetail(
        message=error.message, type=error_type(error.status), param=param, code=error.code
    )
    return {"error": detail.model_dump()}


OPENAI_SHAPE = ErrorShape(OpenAIErrorBody, _body)


def openai_error_body(error: ApiError) -> dict[str, Any]:
    """The error's body; `param` is the first field a validation error names."""
    details = error.details if isinstance(error.details, list) else []
    return _body(error, next((str(item["field"]) for item in details if "field" in item), None))


def openai_error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(openai_error_body(error), status_code=error.status, headers=error.headers)
