"""The emulator's settings: latency, generated lengths, fault rates and provider-side limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator


class EndpointKind(StrEnum):
    CHAT = "chat"
    EMBEDDINGS = "embeddings"
    RERANK = "rerank"
    PINECONE = "pinecone"


class EmulatorConfig(BaseModel):
    """All settings; `PUT /_emulator/config` changes any subset of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    completion_tokens: int = Field(default=40, ge=1)
    embedding_dimensions: int = Field(default=1536, ge=1)
    ttft_ms: float = Field(default=0.0, ge=0)
    tokens_per_second: float = Field(default=0.0, ge=0)
    latency_ms: float = Field(default=0.0, ge=0)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_500: float = Field(default=0.0, ge=0, le=1)
    rate_503: float = Field(default=0.0, ge=0, le=1)
    rate_reset: float = Field(default=0.0, ge=0, le=1)
    rate_timeout: float = Field(default=0.0, ge=0, le=1)
    rate_malformed: float = Field(default=0.0, ge=0, le=1)
    rate_truncate: float = Field(default=0.0, ge=0, le=1)
    rate_invalid_json: float = Field(default=0.0, ge=0, le=1)
    json_reply: dict[str, Any] | None = None  # JSON mode answers this object instead
    text_reply: str | None = None  # plain completions answer this text instead of made-up words
    retry_after_seconds: int = Field(default=1, ge=0)
    hang_seconds: float = Field(default=30.0, ge=0)
    seed: int | None = None
    fault_kinds: frozenset[EndpointKind] = frozenset(EndpointKind)
    rpm_limit: int | None = Field(default=None, ge=1)
    tpm_limit: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _rates_fit(self) -> Self:
        total = sum(value for name, value in self if name.startswith("rate_"))
        if total > 1 + 1e-9:  # 0.1 + 0.2 + 0.7 is a little over 1 in floating point
            raise ValueError(f"the fault rates add up to {total:g}; at most 1 is possible")
        return self

    @field_serializer("fault_kinds")
    def _sorted_kinds(self, kinds: frozenset[EndpointKind]) -> list[str]:
        return sorted(kinds)

    def updated(self, changes: dict[str, Any]) -> EmulatorConfig:
        """A validated copy with `changes` applied."""
        return EmulatorConfig.model_validate({**self.model_dump(), **changes})
