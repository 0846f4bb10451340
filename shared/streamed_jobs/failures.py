"""How a streamed job's attempt ends when it fails: the errors clients see, which failures are
transient, and the policy that chooses between another attempt and an `error` event."""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.db.errors import is_database_unavailable
from shared.events import ErrorData
from shared.resilience.errors import FailureKind, ProviderFailure

REDIS_OUTAGES = (RedisConnectionError, RedisTimeoutError)


def is_outage(error: BaseException) -> bool:
    """Redis or Postgres out of reach (or Postgres not taking connections). An attempt cut
    short by an outage is not one of the job's tries: it runs again until the deadline."""
    return isinstance(error, REDIS_OUTAGES) or is_database_unavailable(error)


def is_transient(error: BaseException) -> bool:
    """A failure another attempt may not meet; anything else is a bug."""
    return isinstance(error, ProviderFailure | TimeoutError | OSError) or is_outage(error)


class RetryLater(Exception):
    """A transient failure on an attempt that may be retried."""


DEADLINE_EXCEEDED = ErrorData(
    code="deadline_exceeded", message="The answer took too long; please ask again.", retryable=True
)
UNAVAILABLE = ErrorData(
    code="temporarily_unavailable",
    message="The assistant is temporarily unavailable; please try again shortly.",
    retryable=True,
)
INTERNAL_ERROR = ErrorData(
    code="internal_error", message="Something went wrong while answering.", retryable=False
)
PROVIDER_REFUSED = ErrorData(
    code="provider_error",
    message="The assistant could not answer this question; please rephrase it or try later.",
    retryable=False,
)


@dataclass(frozen=True)
class FailurePolicy:
    """How a streamed job's attempt ends when it fails."""

    label: str  # names the job in logs
    deadline: ErrorData  # the job's deadline passed
    refused: ErrorData | None  # a provider refused for good; None: retried like other failures


def failure_outcome(
    policy: FailurePolicy, error: BaseException, deadline_passed: bool, last_try: bool
) -> ErrorData | None:
    """The error that ends the job for good, or None when another attempt may succeed."""
    permanent = isinstance(error, ProviderFailure) and error.kind is FailureKind.PERMANENT
    if deadline_passed:
        return policy.deadline
    if permanent and policy.refused is not None:
        return policy.refused
    if last_try and not is_outage(error):
        return UNAVAILABLE
    return None


def failure_log(error: BaseException) -> dict[str, object]:
    """What a log line may say about a failure (never the question or the answer)."""
    if isinstance(error, ProviderFailure):
        return {"kind": error.kind.value, "model": error.target.key, "status": error.status}
    return {"kind": type(error).__name__}
