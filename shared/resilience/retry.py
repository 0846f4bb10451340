"""Retries of provider calls: jittered exponential backoff, at least `Retry-After`, bounded by
the attempt count and the job's deadline, and only for failures that can succeed next time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_exponential_jitter

from shared.resilience.deadline import seconds_left
from shared.resilience.errors import ProviderFailure


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_max_seconds: float
    backoff_initial_seconds: float = 0.25


class _WaitRetryAfter(wait_base):
    """The provider's Retry-After when it gave one, else the fallback backoff."""

    def __init__(self, fallback: wait_base) -> None:
        self._fallback = fallback

    def __call__(self, retry_state: RetryCallState) -> float:
        backoff = self._fallback(retry_state)
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, ProviderFailure) and error.retry_after is not None:
            return max(error.retry_after, backoff)
        return backoff


class _StopBeforeDeadline(stop_base):
    """Give up when the next sleep would end after the job's deadline."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep >= seconds_left()


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderFailure) and error.retryable


def retrying(
    policy: RetryPolicy, on_retry: Callable[[RetryCallState], None] | None = None
) -> AsyncRetrying:
    wait = _WaitRetryAfter(
        wait_exponential_jitter(
            multiplier=policy.backoff_initial_seconds, max=policy.backoff_max_seconds
        )
    )
    return AsyncRetrying(
        retry=retry_if_exception(_is_retryable),
        wait=wait,
        stop=stop_after_attempt(policy.max_attempts) | _StopBeforeDeadline(),
        before_sleep=on_retry,
        reraise=True,
    )
