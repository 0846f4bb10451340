import email.utils
import time

import pytest
from tenacity import RetryCallState

from shared.providers.llm.chat import ChatMessage, estimate_tokens
from shared.resilience.deadline import deadline_in, seconds_left
from shared.resilience.errors import (
    FailureKind,
    ModelRef,
    ProviderFailure,
    kind_of_status,
    parse_retry_after,
    to_failure,
)
from shared.resilience.retry import RetryPolicy, retrying

pytestmark = pytest.mark.unit

TARGET = ModelRef("groq", "llama-3.3-70b-versatile")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, FailureKind.RATE_LIMITED),
        (500, FailureKind.TRANSIENT),
        (503, FailureKind.TRANSIENT),
        (408, FailureKind.TRANSIENT),
        (400, FailureKind.PERMANENT),
        (401, FailureKind.PERMANENT),
        (403, FailureKind.PERMANENT),
        (422, FailureKind.PERMANENT),
    ],
)
def test_statuses_map_to_failure_kinds(status: int, kind: FailureKind) -> None:
    assert kind_of_status(status) is kind


def test_retry_after_reads_seconds_milliseconds_and_dates() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 < (parse_retry_after({"retry-after": in_ten}) or 0) <= 10
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None


class StatusError(Exception):
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers


def test_sdk_errors_become_provider_failures() -> None:
    limited = to_failure(StatusError(429, {"Retry-After": "2"}), TARGET, ())
    assert (limited.kind, limited.status, limited.retry_after) == (FailureKind.RATE_LIMITED, 429, 2)
    assert to_failure(StatusError(401, {}), TARGET, ()).kind is FailureKind.PERMANENT
    assert to_failure(ConnectionResetError(), TARGET, ()).kind is FailureKind.TRANSIENT
    assert to_failure(ValueError("bad json"), TARGET, ()).kind is FailureKind.TRANSIENT
    assert to_failure(KeyError("x"), TARGET, ()).kind is FailureKind.PERMANENT


def test_the_estimate_covers_the_completion_allowance() -> None:
    messages = [ChatMessage("system", "x" * 300), ChatMessage("user", "y" * 30)]
    assert estimate_tokens(messages, 500) >= 500 + 330 // 4


class Flaky:
    def __init__(self, failures: list[ProviderFailure]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def failure(kind: FailureKind, retry_after: float | None = None) -> ProviderFailure:
    return ProviderFailure(TARGET, kind, "test", retry_after=retry_after)


async def test_retries_transient_failures_until_success() -> None:
    call = Flaky([failure(FailureKind.TRANSIENT), failure(FailureKind.TRANSIENT)])
    policy = RetryPolicy(max_attempts=4, backoff_max_seconds=0.01, backoff_initial_seconds=0.001)
    assert await retrying(policy)(call) == "ok"
    assert call.calls == 3


async def test_permanent_failures_are_not_retried() -> None:
    call = Flaky([failure(FailureKind.PERMANENT)])
    with pytest.raises(ProviderFailure):
        await retrying(RetryPolicy(max_attempts=4, backoff_max_seconds=0.01))(call)
    assert call.calls == 1


async def test_the_wait_honours_retry_after() -> None:
    sleeps: list[float] = []

    def note(state: RetryCallState) -> None:
        sleeps.append(state.upcoming_sleep)

    call = Flaky([failure(FailureKind.RATE_LIMITED, retry_after=0.2)])
    policy = RetryPolicy(max_attempts=3, backoff_max_seconds=0.01, backoff_initial_seconds=0.001)
    assert await retrying(policy, note)(call) == "ok"
    assert sleeps == [pytest.approx(0.2)]


async def test_no_retry_sleeps_past_the_deadline() -> None:
    call = Flaky([failure(FailureKind.RATE_LIMITED, retry_after=5.0)])
    with deadline_in(1.0), pytest.raises(ProviderFailure):
        await retrying(RetryPolicy(max_attempts=5, backoff_max_seconds=0.01))(call)
    assert call.calls == 1


def test_without_a_deadline_there_is_all_the_time_in_the_world() -> None:
    assert seconds_left() == float("inf")
    with deadline_in(5):
        assert 4 < seconds_left() <= 5
