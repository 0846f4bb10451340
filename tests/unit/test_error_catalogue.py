import json
import re

import pytest

from api.error_docs import error_responses
from api.errors import (
    ApiError,
    FileTooLarge,
    JobNotFound,
    RateLimited,
    SessionInvalid,
    Unauthorized,
    Unavailable,
    catalogue,
)

pytestmark = pytest.mark.unit


def test_every_code_belongs_to_one_error() -> None:
    codes = [error.code for error in catalogue()]
    assert len(codes) == len(set(codes)), sorted(code for code in codes if codes.count(code) > 1)


@pytest.mark.parametrize("error", catalogue(), ids=lambda error: error.__name__)
def test_every_error_has_a_status_code_message_and_when(error: type[ApiError]) -> None:
    assert 400 <= error.status < 600
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error.code)
    assert error.message.strip()
    assert (error.__doc__ or "").strip(), "its docstring says when it happens"


def test_an_error_answers_with_its_status_and_the_error_body() -> None:
    response = SessionInvalid().response()
    assert response.status_code == 401
    assert json.loads(response.body) == {
        "error": {"code": "session_invalid", "message": "The session is unknown or has expired."}
    }


def test_values_and_headers_go_into_the_answer() -> None:
    assert FileTooLarge(5_000_000).message == "The file is larger than 5 MB."
    response = RateLimited(1, policy="chat", limit=20, window_seconds=60).response()
    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.body)["error"] == {
        "code": "rate_limited",
        "message": "Too many requests; retry in 1 second.",
        "details": {"policy": "chat", "limit": 20, "window_seconds": 60},
    }
    assert Unavailable().response().headers["Retry-After"] == "5"


def test_a_variant_keeps_the_code_and_changes_the_message() -> None:
    ingestion = JobNotFound.ingestion()
    assert (ingestion.status, ingestion.code) == (404, "job_not_found")
    assert ingestion.message != JobNotFound().message


def test_error_responses_group_the_codes_by_status() -> None:
    responses = error_responses(SessionInvalid, Unauthorized, JobNotFound, RateLimited)
    assert list(responses) == [401, 404, 429, 500, "default"]
    examples = responses[401]["content"]["application/json"]["examples"]
    assert list(examples) == ["session_invalid", "unauthorized"]
    assert "`unauthorized`" in responses[401]["description"]
    assert "headers" not in responses[401] and "Retry-After" in responses[429]["headers"]
