"""What the provider calls of one answer went through, for the message's audit record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class ProviderTrail:
    calls: list[dict[str, str | int]] = field(default_factory=list)
    retries: int = 0
    fallbacks: list[str] = field(default_factory=list)

    def record_call(self, role: str, model: str, attempts: int) -> None:
        self.calls.append({"role": role, "model": model, "attempts": attempts})

    def as_audit(self) -> dict[str, object]:
        return {"calls": self.calls, "retries": self.retries, "fallbacks": self.fallbacks}


_trail: ContextVar[ProviderTrail | None] = ContextVar("izana_provider_trail", default=None)


@contextmanager
def tracking_calls() -> Iterator[ProviderTrail]:
    trail = ProviderTrail()
    token = _trail.set(trail)
    try:
        yield trail
    finally:
        _trail.reset(token)


def current_trail() -> ProviderTrail:
    """The trail of the answer being written, or a throwaway one outside any answer."""
    return _trail.get() or ProviderTrail()
