"""The current job's deadline, visible to every provider call made on its behalf."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("izana_deadline", default=None)


@contextmanager
def deadline_in(seconds: float) -> Iterator[None]:
    """Provider retries and rate-limit waits inside this block never outlast `seconds`."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float:
    """Time to the deadline (infinite when no job set one)."""
    deadline = _deadline.get()
    return float("inf") if deadline is None else deadline - time.monotonic()
