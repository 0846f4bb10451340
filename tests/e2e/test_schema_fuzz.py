"""A property-based fuzzer (schemathesis) against the running API's OpenAPI schema: inputs the
schema allows and inputs it does not, with a bounded number of examples per operation. No
response may be a server error, and every one must be documented by the schema (status, content
type, headers, body)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from requests.adapters import HTTPAdapter
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.ratelimit import PIN_FAILURES_KEY
from shared.resilience.sliding_window import limit_key
from shared.resources import Resources
from shared.sessions.service import create_session

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 25
# The fuzzer's own client address: its many requests never count against the general limit of
# the other e2e tests, which come from 127.0.0.1 (see test_rate_limits.py).
ADDRESS = "127.0.0.6"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Erasing the session would leave every later request without one.
SKIPPED = {("DELETE", "/v1/sessions/current")}


class FromAddress(HTTPAdapter):
    """Connections from ADDRESS."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(ADDRESS, 0))


@pytest.fixture(scope="module")
async def http(resources: Resources) -> AsyncIterator[requests.Session]:
    try:
        with socket.socket() as probe:
            probe.bind((ADDRESS, 0))
    except OSError:
        pytest.skip(f"{ADDRESS} is not a local address on this machine")
    await resources.redis.delete(limit_key("general", ADDRESS))
    with requests.Session() as session:
        session.mount("http://", FromAddress())
        yield session
    await resources.redis.delete(PIN_FAILURES_KEY)  # the fuzzer's wrong admin PINs


@pytest.fixture(scope="module")
async def session_headers(resources: Resources) -> dict[str, str]:
    """A session for the fuzzed requests, so that they get past authentication."""
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    return {"Authorization": f"Bearer {issued.token}"}


def fuzz(
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
    base_url: str,
    http: requests.Session,
    headers: dict[str, str],
) -> None:
    """EXAMPLES_PER_OPERATION requests to the operation, each checked against the schema."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def examples(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, session=http, headers=headers, checks=CHECKS)

    examples()


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
def test_the_api_answers_every_input_as_its_schema_says(
    api: str,
    http: requests.Session,
    session_headers: dict[str, str],
    mode: schemathesis.GenerationMode,
) -> None:
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        try:
            fuzz(operation, mode, api, http, session_headers)
        except Unsatisfiable:
            # No input of this operation can break its schema (GET /healthz takes none).
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.path
