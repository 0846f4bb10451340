"""What the provider calls of one answer went through, for the message's audit record."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.observability.collector import Collector


@dataclass
class ProviderTrail:
    calls: list[dict[str, str | int]] = field(default_factory=list)
    retries: int = 0
    fallbacks: list[str] = field(default_factory=list)
    # The models this answer's calls put in a shared cooldown (429) or whose breaker they opened.
    cooldowns: list[str] = field(default_factory=list)
    breakers_opened: list[str] = field(default_factory=list)

    def record_call(self, role: str, model: str, attempts: int) -> None:
        self.calls.append({"role": role, "model": model, "attempts": attempts})

    def as_audit(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "retries": self.retries,
            "fallbacks": self.fallbacks,
            "cooldowns": self.cooldowns,
            "breakers_opened": self.breakers_opened,
        }


_TRAIL = Collector("izana_provider_trail", ProviderTrail)
# `with tracking_calls() as trail:` records the provider calls of one answer.
tracking_calls = _TRAIL.collecting
# The trail of the answer being written, or a throwaway one outside any answer.
current_trail = _TRAIL.current
