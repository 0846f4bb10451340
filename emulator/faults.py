"""Which fault, if any, a request gets: one draw per request against the configured rates."""

from __future__ import annotations

import random

from emulator.config import EmulatorConfig, EndpointKind
from emulator.counters import Outcome


class FaultPicker:
    """Draws from its own generator, so a `seed` makes the sequence of faults reproducible."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        self._rng = random.Random(seed)

    def pick(
        self, config: EmulatorConfig, kind: EndpointKind, *, stream: bool, json_mode: bool
    ) -> Outcome | None:
        """Each fault owns a slice of [0, 1) as wide as its rate; faults that cannot apply
        to this request (truncate without a stream, invalid_json without JSON mode) keep
        their slice, so every rate stays the probability per applicable request."""
        if kind not in config.fault_kinds:
            return None
        slices = (
            (Outcome.RATE_429, config.rate_429, True),
            (Outcome.ERROR_500, config.rate_500, True),
            (Outcome.ERROR_503, config.rate_503, True),
            (Outcome.RESET, config.rate_reset, True),
            (Outcome.TIMEOUT, config.rate_timeout, True),
            (Outcome.MALFORMED, config.rate_malformed, True),
            (Outcome.TRUNCATE, config.rate_truncate, stream),
            (Outcome.INVALID_JSON, config.rate_invalid_json, json_mode),
        )
        draw = self._rng.random()
        for fault, rate, applies in slices:
            if draw < rate:
                return fault if applies else None
            draw -= rate
        return None
