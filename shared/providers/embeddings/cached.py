"""An embedding cache in Redis: a text embedded once is not sent to the provider again."""

from __future__ import annotations

import array
import base64
import hashlib
from collections.abc import Sequence

from redis.asyncio import Redis

from shared.providers.embeddings.base import Embedder, Purpose


def _key(embedder: str, purpose: Purpose, text: str) -> str:
    digest = hashlib.sha256(f"{embedder}\x00{purpose}\x00{text}".encode()).hexdigest()
    return f"izana:cache:embedding:{digest}"


def _pack(vector: Sequence[float]) -> str:
    return base64.b64encode(array.array("f", vector).tobytes()).decode()


def _unpack(packed: str) -> list[float]:
    return array.array("f", base64.b64decode(packed)).tolist()


class CachedEmbedder:
    def __init__(self, inner: Embedder, redis: Redis, ttl_seconds: int) -> None:
        self._inner = inner
        self._redis = redis
        self._ttl = ttl_seconds
        self.name = inner.name

    async def embed(self, texts: Sequence[str], purpose: Purpose = "passage") -> list[list[float]]:
        keys = [_key(self.name, purpose, text) for text in texts]
        cached: list[str | None] = await self._redis.mget(keys)
        missing = sorted({text for text, hit in zip(texts, cached, strict=True) if hit is None})
        fresh = (
            dict(zip(missing, await self._inner.embed(missing, purpose), strict=True))
            if missing
            else {}
        )
        if fresh:
            async with self._redis.pipeline(transaction=False) as pipe:
                for text, vector in fresh.items():
                    pipe.set(_key(self.name, purpose, text), _pack(vector), ex=self._ttl)
                await pipe.execute()
        return [
            fresh[text] if hit is None else _unpack(hit)
            for text, hit in zip(texts, cached, strict=True)
        ]

    async def warm(self) -> None:
        await self._inner.warm()
