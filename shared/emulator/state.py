"""Everything one emulator holds: its settings, counters, fault generator and vectors."""

from __future__ import annotations

from typing import Any

from shared.emulator.config import EmulatorConfig
from shared.emulator.counters import Counters
from shared.emulator.faults import FaultPicker
from shared.emulator.vectors import VectorIndex


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.counters = Counters()
        self.faults = FaultPicker(config.seed)
        self.vectors = VectorIndex()

    def configure(self, changes: dict[str, Any]) -> EmulatorConfig:
        """Apply a partial update; a `seed` in it restarts the fault sequence."""
        self.config = self.config.updated(changes)
        if "seed" in changes:
            self.faults.reseed(self.config.seed)
        return self.config

    def reset(self) -> None:
        """Forget counters and vectors and restart the fault sequence; settings stay."""
        self.counters.clear()
        self.vectors.clear()
        self.faults.reseed(self.config.seed)
