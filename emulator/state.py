"""Everything one emulator holds: its settings, counters, fault generator and vectors."""

from __future__ import annotations

from collections import deque
from typing import Any

from emulator.config import EmulatorConfig
from emulator.counters import Counters
from emulator.faults import FaultPicker
from emulator.vectors import VectorIndex

PROMPTS_KEPT = 50


class EmulatorState:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.counters = Counters()
        self.faults = FaultPicker(config.seed)
        self.vectors = VectorIndex()
        # The messages of the latest chat requests, so a test can check what a model was shown.
        self.prompts: deque[list[dict[str, str]]] = deque(maxlen=PROMPTS_KEPT)

    def configure(self, changes: dict[str, Any]) -> EmulatorConfig:
        """Apply a partial update; a `seed` in it restarts the fault sequence."""
        self.config = self.config.updated(changes)
        if "seed" in changes:
            self.faults.reseed(self.config.seed)
        return self.config

    def reset(self) -> None:
        """Forget counters, vectors and prompts and restart the fault sequence; settings stay."""
        self.counters.clear()
        self.vectors.clear()
        self.prompts.clear()
        self.faults.reseed(self.config.seed)
