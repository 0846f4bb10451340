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


OPENAI_SHAPE = ErrorShape(
    OpenAIErrorBody,
    lambda error: {
        "error": {
            "message": error.message,
            "type": error_type(error.status),
            "param": None,
            "code": error.code,
        }
    },
)


def openai_error_body(error: ApiError) -> dict[str, Any]:
    details = error.details if isinstance(error.details, list) else []
    param = next((str(item["field"]) for item in details if "field" in item), None)
    body = OpenAIErrorDetail(
        message=error.message, type=error_type(error.status), param=param, code=error.code
    )
    return {"error": body.model_dump()}


def openai_error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(openai_error_body(error), status_code=error.status, headers=error.headers)
