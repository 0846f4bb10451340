"""Checks on a provider request (API key, body) and error responses in each provider's shape."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

T = TypeVar("T", bound=BaseModel)

OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", "service_unavailable"),
}
GRPC_CODES = {400: 3, 401: 16, 429: 8, 500: 13, 503: 14}  # what Pinecone's data plane sends
MESSAGES = {
    401: "No API key was provided.",
    429: "Rate limit reached; retry after the time in the Retry-After header.",
    500: "The server had an error while processing your request.",
    503: "The server is overloaded; please try again later.",
}


class OpenModel(BaseModel):
    """A request body that keeps fields it does not name, as the providers ignore them."""

    model_config = ConfigDict(extra="allow")


class Provider(StrEnum):
    OPENAI = "openai"
    GROQ = "groq"
    COHERE = "cohere"
    PINECONE = "pinecone"


def error_response(
    provider: Provider, status: int, message: str | None = None, retry_after: int | None = None
) -> JSONResponse:
    text = message or MESSAGES[status]
    body: dict[str, Any]
    if provider is Provider.COHERE:
        body = {"id": str(uuid.uuid4()), "message": text}
    elif provider is Provider.PINECONE:
        body = {"code": GRPC_CODES[status], "message": text, "details": []}
    else:
        kind, code = OPENAI_TYPES[status]
        body = {"error": {"message": text, "type": kind, "param": None, "code": code}}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def missing_key(request: Request, provider: Provider) -> JSONResponse | None:
    """A 401 when the request carries no API key (any key is accepted)."""
    if provider is Provider.PINECONE:
        present = bool(request.headers.get("api-key", "").strip())
    else:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        present = scheme.lower() == "bearer" and bool(token.strip())
    return None if present else error_response(provider, 401)


async def parse_body(request: Request, model: type[T], provider: Provider) -> T | JSONResponse:
    """The request body as `model`, or a 400 saying what is wrong with it."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or 'body'}: {item['msg']}" for item in error.errors()
        )
        return error_response(provider, 400, f"Invalid request: {problems}")


async def authorized_body(request: Request, model: type[T], provider: Provider) -> T | JSONResponse:
    """The parsed body of a request that carries a key, or the provider's 401 / 400."""
    if denied := missing_key(request, provider):
        return denied
    return await parse_body(request, model, provider)
