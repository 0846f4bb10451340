"""The OpenAPI schema tells the truth: it is valid OpenAPI, documents the bearer tokens, the
multipart upload and the event streams, has stable operationIds, and documents the errors the
API really answers with: the real body, and for each route the statuses and codes of the
catalogue errors it can raise (api/errors.py)."""

import json
import logging
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from api.app import create_app
from api.errors import (
    ApiError,
    BadRequest,
    ConversationNotFound,
    EventsExpired,
    EventsTokenExpired,
    EventsTokenInvalid,
    FileEmpty,
    FileMissing,
    FileTooLarge,
    InternalError,
    InvalidJson,
    InvalidLastEventId,
    JobNotFound,
    MessageTooLong,
    NotAPdf,
    PdfDamaged,
    PdfEncrypted,
    RateLimited,
    RequestTimeout,
    SessionInvalid,
    TooManyPages,
    TooManyStreams,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    UploadPending,
    ValidationFailed,
    catalogue,
)
from api.openai_errors import OPENAI_PATHS
from shared.config import Rate, Settings
from shared.events import EventType
from tests.constants import ROOT

pytestmark = pytest.mark.contract

REF = "#/components/schemas/"
SESSION = (Unauthorized, SessionInvalid)
LIMITS = (RateLimited, Unavailable, InternalError)
# What each route can raise, read from its code (its dependencies included).
RAISES: dict[tuple[str, str], tuple[type[ApiError], ...]] = {
    ("post", "/v1/sessions"): LIMITS,
    ("get", "/v1/languages"): LIMITS,
    ("delete", "/v1/sessions/current"): (*LIMITS, *SESSION),
    ("post", "/v1/chat"): (
        *LIMITS,
        *SESSION,
        UnsupportedMediaType,
        RequestTimeout,
        InvalidJson,
        ValidationFailed,
        MessageTooLong,
        ConversationNotFound,
    ),
    ("post", "/v1/bloodwork"): (
        *LIMITS,
        *SESSION,
        RequestTimeout,
        FileTooLarge,
        BadRequest,
        FileMissing,
        FileEmpty,
        NotAPdf,
        PdfDamaged,
        PdfEncrypted,
        TooManyPages,
        UploadPending,
    ),
    ("get", "/v1/jobs/{job_id}/events"): (
        *LIMITS,
        *SESSION,
        EventsTokenExpired,
        EventsTokenInvalid,
        JobNotFound,
        InvalidLastEventId,
        EventsExpired,
        TooManyStreams,
    ),
}


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    """The real app; small limits so that the calls below can exceed them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    update = {
        "max_message_chars": 20,
        "bloodwork_max_bytes": 1_000,
        "rate_limit_admin_login": Rate(1, 60),
        "admin_pin": None,
    }
    yield create_app(settings.model_copy(update=update))
    root.handlers[:], root.level = handlers, level  # create_app configured the process's logging


@pytest.fixture(scope="module")
def schema(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_the_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate(schema)  # raises on the first error


def test_operation_ids_are_stable_names(schema: dict[str, Any]) -> None:
    """The route functions' names: a generated client's method names, which change only when a
    route is renamed (FastAPI's own join the name, the path and the method)."""
    ids = {
        (method, path): operation["operationId"] for method, path, operation in operations(schema)
    }
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in ids.values())
    assert ids[("post", "/v1/chat")] == "chat"
    assert ids[("get", "/v1/jobs/{job_id}/events")] == "job_events"
    assert ids[("post", "/v1/bloodwork")] == "upload_bloodwork"
    assert ids[("get", "/v1/admin/stats")] == "admin_stats"


@pytest.mark.parametrize(
    ("method", "path", "scheme"),
    [
        ("post", "/v1/chat", "session"),
        ("get", "/v1/jobs/{job_id}/events", "session"),
        ("post", "/v1/bloodwork", "session"),
        ("get", "/v1/admin/stats", "admin"),
    ],
)
def test_bearer_tokens_are_security_schemes(
    schema: dict[str, Any], method: str, path: str, scheme: str
) -> None:
    assert schema["components"]["securitySchemes"][scheme] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"][scheme]["description"],
    }
    assert {scheme: []} in schema["paths"][path][method]["security"]


def test_routes_without_a_token_document_no_security(schema: dict[str, Any]) -> None:
    assert "security" not in schema["paths"]["/v1/sessions"]["post"]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_the_upload_is_a_multipart_pdf(schema: dict[str, Any]) -> None:
    body = schema["paths"]["/v1/bloodwork"]["post"]["requestBody"]
    multipart = body["content"]["multipart/form-data"]
    assert body["required"] and multipart["schema"]["required"] == ["file"]
    assert multipart["schema"]["properties"]["file"]["format"] == "binary"


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/v1/chat"), ("get", "/v1/jobs/{job_id}/events")]
)
def test_event_streams_are_documented_with_their_event_types(
    schema: dict[str, Any], method: str, path: str
) -> None:
    streamed = schema["paths"][path][method]["responses"]["200"]
    assert "text/event-stream" in streamed["content"]
    for event in EventType:
        assert f"- `{event}`" in streamed["description"]


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def documented_codes(schema: dict[str, Any], method: str, path: str) -> dict[str, set[str]]:
    """The error codes the route documents, by status."""
    responses = schema["paths"][path][method]["responses"]
    return {
        status: set(response["content"]["application/json"].get("examples", {}))
        for status, response in responses.items()
        if status[0] in "45"
    }


def conforms(value: Any, schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """`value` against the JSON schema constructs the error schema uses."""
    if "$ref" in schema:
        return conforms(value, components[schema["$ref"].removeprefix(REF)], components)
    if schema.get("type") == "string":
        return isinstance(value, str)
    if schema.get("type") == "object":
        properties = schema["properties"]
        return (
            isinstance(value, dict)
            and set(schema["required"]) <= set(value)
            and (schema.get("additionalProperties", True) or set(value) <= set(properties))
            and all(conforms(value[name], properties[name], components) for name in value)
        )
    return not schema.get("type")  # no type: anything


def test_no_route_documents_fastapis_validation_body(schema: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(schema)
    assert not {"HTTPValidationError", "ValidationError"} & set(schema["components"]["schemas"])


def test_every_error_response_has_the_error_body(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        for status, response in operation["responses"].items():
            if (status[0] in "45" and (path, status) != ("/readyz", "503")) or status == "default":
                content = response["content"]["application/json"]
                body = "OpenAIErrorBody" if path.startswith(OPENAI_PATHS) else "ErrorBody"
                assert content["schema"] == {"$ref": REF + body}, (method, path, status)


def test_the_error_body_is_the_real_one(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    body = {"$ref": REF + "ErrorBody"}
    detail = components["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    assert set(detail["properties"]) == {"code", "message", "details"}
    assert conforms({"error": {"code": "c", "message": "m"}}, body, components)
    assert conforms({"error": {"code": "c", "message": "m", "details": [{}]}}, body, components)
    assert not conforms({"detail": [{"msg": "m"}]}, body, components)  # FastAPI's own
    assert not conforms({"error": {"code": "c"}}, body, components)


@pytest.mark.parametrize(("method", "path"), RAISES)
def test_a_route_documents_the_errors_it_raises(
    schema: dict[str, Any], method: str, path: str
) -> None:
    documented = documented_codes(schema, method, path)
    for error in RAISES[(method, path)]:
        assert error.code in documented.get(str(error.status), set()), (error, documented)


def test_only_routes_that_validate_input_document_validation_errors(
    schema: dict[str, Any],
) -> None:
    without_input = [
        ("get", "/healthz"),
        ("post", "/v1/sessions"),
        ("get", "/v1/languages"),
        ("get", "/v1/jobs/{job_id}"),
    ]
    for method, path in without_input:
        assert "422" not in schema["paths"][path][method]["responses"]


def test_the_api_docs_list_every_error() -> None:
    docs = (ROOT / "docs" / "api.md").read_text()
    for error in catalogue():
        assert f"| {error.status} | `{error.code}` |" in docs, error


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    ip = "10." + ".".join(str(secrets.randbelow(256)) for _ in range(3))  # a fresh general limit
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app, client=(ip, 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture(scope="module")
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/v1/sessions")
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@dataclass(frozen=True)
class Call:
    """A request that fails with `code`, to the route documented as `method` `path`."""

    code: str
    method: str
    path: str
    url: str = ""  # when it is not `path`
    authorization: str | None = "session"  # the session's, none, or this header
    request: dict[str, Any] = field(default_factory=dict)


JOB = "0" * 32
EVENTS = "/v1/jobs/{job_id}/events"
QUESTION = {"json": {"message": "What is AMH?"}}
PDF = ("file", ("report.pdf", b"%PDF-1.7\n", "application/pdf"))


def chat(code: str, **request: Any) -> Call:
    return Call(code, "post", "/v1/chat", request=request)


def upload(code: str, content: bytes, name: str = "file") -> Call:
    files = {name: ("report.pdf", content, "application/pdf")}
    return Call(code, "post", "/v1/bloodwork", request={"files": files})


CALLS = [
    Call("unauthorized", "post", "/v1/chat", authorization=None, request=QUESTION),
    Call("session_invalid", "post", "/v1/chat", authorization="Bearer unknown", request=QUESTION),
    chat("invalid_json", content=b"{", headers={"Content-Type": "application/json"}),
    chat("validation_error", json={}),
    chat("unsupported_media_type", content=b"{}"),
    chat("message_too_long", json={"message": "x" * 21}),
    chat("conversation_not_found", json={"message": "hi", "conversation_id": str(uuid.uuid4())}),
    Call("unauthorized", "delete", "/v1/sessions/current", authorization=None),
    upload("file_missing", b"%PDF-1.7\n", name="pdf"),
    upload("file_empty", b""),
    upload("not_a_pdf", b"FSH,7.2\n"),
    upload("pdf_damaged", b"%PDF-1.7\n"),
    upload("file_too_large", b"%PDF" * 5_000),
    Call("bad_request", "post", "/v1/bloodwork", request={"files": [PDF, PDF]}),  # one file only
    Call("unauthorized", "get", EVENTS, f"/v1/jobs/{JOB}/events", authorization=None),
    Call(
        "events_token_invalid", "get", EVENTS, f"/v1/jobs/{JOB}/events?token=x", authorization=None
    ),
    Call("job_not_found", "get", EVENTS, f"/v1/jobs/{JOB}/events"),
]


async def send(client: httpx.AsyncClient, auth: dict[str, str], call: Call) -> httpx.Response:
    headers = dict(call.request.get("headers", {}))
    if call.authorization == "session":
        headers.update(auth)
    elif call.authorization is not None:
        headers["Authorization"] = call.authorization
    request = {**call.request, "headers": headers}
    return await client.request(call.method, call.url or call.path, **request)


def assert_documented(schema: dict[str, Any], call: Call, response: httpx.Response) -> None:
    """The response has the code expected, and its route documents it with its status and body."""
    assert response.json()["error"]["code"] == call.code, response.text
    status = str(response.status_code)
    assert call.code in documented_codes(schema, call.method, call.path)[status]
    documented = schema["paths"][call.path][call.method]["responses"][status]
    body_schema = documented["content"]["application/json"]["schema"]
    assert conforms(response.json(), body_schema, schema["components"]["schemas"]), response.text


@pytest.mark.parametrize("call", CALLS, ids=lambda call: f"{call.path} {call.code}")
async def test_real_errors_are_documented_for_their_route(
    client: httpx.AsyncClient, auth: dict[str, str], schema: dict[str, Any], call: Call
) -> None:
    assert_documented(schema, call, await send(client, auth, call))


async def test_a_refused_request_is_documented_for_its_route(
    client: httpx.AsyncClient, auth: dict[str, str], schema: dict[str, Any]
) -> None:
    """The login limit is one a minute here, and the only calls to login are these two."""
    pin = {"json": {"pin": "1234"}}
    login = Call("admin_disabled", "post", "/v1/admin/login", authorization=None, request=pin)
    assert_documented(schema, login, await send(client, auth, login))
    refused = replace(login, code="rate_limited")
    response = await send(client, auth, refused)
    assert_documented(schema, refused, response)
    documented = schema["paths"]["/v1/admin/login"]["post"]["responses"]["429"]
    assert "Retry-After" in documented["headers"]
    assert int(response.headers["Retry-After"]) >= 1
