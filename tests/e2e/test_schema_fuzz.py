"""A property-based fuzzer (schemathesis) against the running API's OpenAPI schema: inputs the
schema allows and inputs it does not, with a bounded number of examples per operation. No
response may be a server error, and every one must be documented by the schema (status, content
type, body)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.resources import Resources
from shared.sessions.service import create_session

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(api: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api}/openapi.json")


@pytest.fixture(scope="module")
async def session_headers(resources: Resources) -> dict[str, str]:
    """A session for the fuzzed requests, so that they get past authentication."""
    issued = await create_session(resources.sessionmaker, timedelta(days=1))
    return {"Authorization": f"Bearer {issued.token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(method="DELETE", path="/v1/sessions/current").parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_input_as_its_schema_says(
    case: schemathesis.Case, api: str, session_headers: dict[str, str]
) -> None:
    case.call_and_validate(base_url=api, headers=session_headers, checks=CHECKS)
