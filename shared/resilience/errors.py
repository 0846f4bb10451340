"""One failure type for every provider call, whatever SDK raised it."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class FailureKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429: wait (Retry-After) and try again
    TRANSIENT = "transient"  # 5xx, timeouts, resets, malformed or cut-off responses
    PERMANENT = "permanent"  # other 4xx: the same request would fail again
    UNAVAILABLE = "unavailable"  # our own guard refused: breaker open, no budget before deadline


@dataclass(frozen=True)
class ModelRef:
    """A provider model, the unit every limit, cooldown and breaker is kept for."""

    provider: str
    model: str

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model}"


class ProviderFailure(Exception):
    def __init__(
        self,
        target: ModelRef,
        kind: FailureKind,
        detail: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{target.key}: {kind.value}: {detail}")
        self.target = target
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in (FailureKind.RATE_LIMITED, FailureKind.TRANSIENT)


def kind_of_status(status: int) -> FailureKind:
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status in (408, 409) or status >= 500:
        return FailureKind.TRANSIENT
    return FailureKind.PERMANENT


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or `retry-after-ms`."""
    if not headers:
        return None
    lowered = {name.lower(): value for name, value in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    return None if value is None else _seconds_or_date(value)


def _seconds_or_date(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_and_headers(error: BaseException) -> tuple[int | None, Mapping[str, str] | None]:
    status = getattr(error, "status_code", None)
    headers = getattr(error, "headers", None)
    response = getattr(error, "response", None)
    if headers is None and response is not None:
        headers = getattr(response, "headers", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    return (status if isinstance(status, int) else None), headers


def to_failure(
    error: BaseException, target: ModelRef, transient: tuple[type[BaseException], ...]
) -> ProviderFailure:
    """Classify an SDK exception: HTTP status when it carries one, else by type."""
    if isinstance(error, ProviderFailure):
        return error
    status, headers = _status_and_headers(error)
    name = type(error).__name__
    if status is not None and status >= 400:
        return ProviderFailure(
            target, kind_of_status(status), name, status, parse_retry_after(headers)
        )
    if status is not None:
        # An error raised on a success status: the body could not be read (malformed).
        return ProviderFailure(target, FailureKind.TRANSIENT, name, status)
    if isinstance(error, (*transient, TimeoutError, ConnectionError, ValueError)):
        # ValueError covers JSON decoding of a malformed body in every SDK.
        return ProviderFailure(target, FailureKind.TRANSIENT, name)
    return ProviderFailure(target, FailureKind.PERMANENT, name)
