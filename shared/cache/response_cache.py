"""Exact-match answer cache in Redis, keyed by the normalised question and what shaped the answer.

Only answers that depend on nothing but the question may be cached: the caller must skip the
cache for answers that used conversation history or lab results (docs/providers.md, "Response
cache").
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from shared.cache.single_flight import Landing

ANSWER_KEY_PREFIX = "izana:cache:answer:"

# Sentence punctuation and quotes that wrap a question without changing what it asks (ASCII,
# Spanish, CJK, Devanagari). "%", "+", "-", "#", brackets and inner punctuation stay.
_EDGE_CHARACTERS = " ?!.,;:¿¡'\"«»\u2018\u2019\u201c\u201d。、।॥"


def normalise_question(text: str) -> str:
    """The question as the cache compares it.

    NFKC (full-width and compatibility forms become their plain ones), casefold, whitespace
    runs collapsed to one space, and sentence punctuation, quotes and spaces stripped from both
    ends. Words, digits, units and inner punctuation are kept, so "is IVF not safe?" and
    "is IVF safe?" or "5.5 mg" and "55 mg" stay different.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(_EDGE_CHARACTERS)


def cache_key(question: str, language: str, kb_version: str, model_config: str) -> str:
    """The Redis key of the answer to `question` in `language` under one KB and model config."""
    parts = {
        "question": normalise_question(question),
        "language": language,
        "kb_version": kb_version,
        "model_config": model_config,
    }
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return ANSWER_KEY_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


class CachedAnswer(BaseModel):
    answer: str
    language: str  # the answer's language
    mode: str
    citations: list[dict[str, Any]]
    suggestions: list[str]
    model: str
    created_at_ms: int


class ResponseCache:
    """Stores answers for `ttl_seconds`; a TTL of 0 turns the cache off (always a miss)."""

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl_seconds = ttl_seconds

    @property
    def enabled(self) -> bool:
        return self._ttl_seconds > 0

    async def read(self, key: str, raw: str) -> CachedAnswer | None:
        """The answer stored under `key` as `raw`, or None when it is unreadable."""
        try:
            return CachedAnswer.model_validate_json(raw)
        except ValidationError:
            # Unreadable (older schema or damaged): drop it so the next answer replaces it.
            await self._redis.delete(key)
            return None

    def land(self, landing: Landing, answer: CachedAnswer) -> None:
        """Have the single flight's release store `answer` (when the cache is on)."""
        if self.enabled:
            landing.entry = answer.model_dump_json()
            landing.ttl_seconds = self._ttl_seconds
