"""Which failure ends a streamed job, and with which error."""

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from shared.resilience.errors import FailureKind, ModelRef, ProviderFailure
from shared.streamed_jobs.failures import (
    DEADLINE_EXCEEDED,
    PROVIDER_REFUSED,
    UNAVAILABLE,
    FailurePolicy,
    failure_outcome,
)

pytestmark = pytest.mark.unit

CHAT = FailurePolicy("chat", DEADLINE_EXCEEDED, PROVIDER_REFUSED)
ANALYSIS = FailurePolicy("analysis", DEADLINE_EXCEEDED, refused=None)
MODEL = ModelRef("groq", "llama-3.3-70b-versatile")


def provider(kind: FailureKind) -> ProviderFailure:
    return ProviderFailure(MODEL, kind, "test")


def test_a_passed_deadline_ends_the_job_whatever_failed() -> None:
    for error in (provider(FailureKind.TRANSIENT), RedisConnectionError(), TimeoutError()):
        assert (
            failure_outcome(CHAT, error, deadline_passed=True, last_try=False) is DEADLINE_EXCEEDED
        )


def test_a_refusal_for_good_ends_a_chat_at_once_but_is_retried_for_an_analysis() -> None:
    refused = provider(FailureKind.PERMANENT)
    assert failure_outcome(CHAT, refused, deadline_passed=False, last_try=False) is PROVIDER_REFUSED
    assert failure_outcome(ANALYSIS, refused, deadline_passed=False, last_try=False) is None
    assert failure_outcome(ANALYSIS, refused, deadline_passed=False, last_try=True) is UNAVAILABLE


def test_transient_failures_are_retried_until_the_last_try() -> None:
    flaky = provider(FailureKind.TRANSIENT)
    assert failure_outcome(CHAT, flaky, deadline_passed=False, last_try=False) is None
    assert failure_outcome(CHAT, flaky, deadline_passed=False, last_try=True) is UNAVAILABLE


def test_redis_or_postgres_out_of_reach_is_retried_even_on_the_last_try() -> None:
    database_down = OperationalError("SELECT 1", {}, ConnectionRefusedError())
    for outage in (RedisConnectionError(), database_down, ConnectionRefusedError()):
        assert failure_outcome(CHAT, outage, deadline_passed=False, last_try=True) is None
