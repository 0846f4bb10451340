"""The one way the product measures a duration."""

from __future__ import annotations

import time


def elapsed_ms(since: float) -> float:
    """Milliseconds since the `time.perf_counter()` reading `since`."""
    return round((time.perf_counter() - since) * 1000, 3)
