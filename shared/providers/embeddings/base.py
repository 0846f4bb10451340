"""The embedder Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

# Asymmetric models (E5) embed a search query and an indexed passage differently.
Purpose = Literal["query", "passage"]


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        """One vector per text, in order."""
        ...

    async def warm(self) -> None:
        """Load what the first call would otherwise wait for (a local model)."""
        ...
