"""Lab markers read by the small chat model when one is configured.

The model gets the report's text and answers a JSON object of the markers as printed; the reply
is validated, one invalid reply gets one repair request, and a second invalid reply hands the
report to the offline parser. Every marker is then built as the offline parser builds it
(`shared/bloodwork/measurement.py:measured_marker`): unknown marker names are dropped, units
converted, flags computed from the range. A provider that fails for good (after the guard's
retries and the chain's fallbacks) raises `ProviderFailure`. Report text and lab values are
never logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field, ValidationError
from redis.asyncio import Redis

from shared.bloodwork.markers import LABEL, canonical_name, folded
from shared.bloodwork.measurement import measured_marker
from shared.bloodwork.models import Marker, ReferenceRange
from shared.config import Settings
from shared.providers.chat_models import chat_models
from shared.providers.factory import build_guard
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.chat import ChatMessage

log = logging.getLogger(__name__)

MAX_REPORT_CHARS = 24_000  # ~6k tokens: more pages than any lab report of markers needs
EXTRACT_MAX_TOKENS = 2_000

SYSTEM_PROMPT = """You read laboratory reports. Return every test result printed in the report as
a JSON object of the form
{"markers": [{"name": "<the test's name as printed>", "value": <number>, "unit": "<the unit as
printed>", "reference_range": {"low": <number or null>, "high": <number or null>, "text": "<the
range as printed>"} or null}]}.
Values and range bounds are plain numbers (a decimal comma becomes a point) in the unit printed
beside the value; do not convert units. A bound the report does not give is null; no printed
range is "reference_range": null. Leave out anything that is not a numeric result. Answer with
the JSON object only."""

REPAIR_PROMPT = """Your previous answer was not valid: {error}
Answer again with only the JSON object of the form described, nothing else."""


class ReportedRange(BaseModel):
    low: float | None = None
    high: float | None = None
    text: str | None = None


class ReportedMarker(BaseModel):
    name: str = Field(min_length=1)
    value: float
    unit: str
    reference_range: ReportedRange | None = None


class ExtractionReply(BaseModel):
    markers: list[ReportedMarker]


class LabExtractor(Protocol):
    name: str

    async def extract(self, text: str) -> list[Marker] | None:
        """The report's markers; None when no valid reply came (the caller falls back)."""
        ...


def extraction_messages(text: str) -> list[ChatMessage]:
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", text[:MAX_REPORT_CHARS])]


class ModelLabExtractor:
    def __init__(self, chain: ModelChain) -> None:
        self._chain = chain
        self.name = chain.name

    async def _reply(self, messages: Sequence[ChatMessage]) -> tuple[ExtractionReply | None, str]:
        """The validated reply and "", or None and why the reply is invalid (no values)."""
        completion = await self._chain.complete(messages, EXTRACT_MAX_TOKENS, json_mode=True)
        try:
            return ExtractionReply.model_validate_json(completion.text), ""
        except ValidationError as error:
            # Only the error kinds and places go back to the model, never the values it sent.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}"
                for e in error.errors(include_input=False)[:10]
            )
            return None, problems

    async def extract(self, text: str) -> list[Marker] | None:
        messages = extraction_messages(text)
        reply, problems = await self._reply(messages)
        if reply is None:
            log.info("lab marker reply invalid; asking the model once to repair it")
            repair = [
                *messages,
                ChatMessage("user", REPAIR_PROMPT.format(error=problems)),
            ]
            reply, _ = await self._reply(repair)
        if reply is None:
            return None
        return [marker for item in reply.markers if (marker := canonical(item)) is not None]


def canonical(item: ReportedMarker) -> Marker | None:
    """The marker as the offline parser would give it; None for a marker not read for."""
    label = LABEL.fullmatch(folded(" ".join(item.name.split())))
    unit = item.unit.strip()
    if label is None or not unit or not math.isfinite(item.value):
        return None
    printed = item.reference_range
    reference_range = None
    if printed is not None and (printed.low is not None or printed.high is not None):
        bounds = [b for b in (printed.low, printed.high) if b is not None]
        if not all(math.isfinite(bound) for bound in bounds):
            return None
        reference_range = ReferenceRange(
            low=printed.low, high=printed.high, text=printed.text or _range_text(printed)
        )
    return measured_marker(
        label[0], canonical_name(label["alias"]), item.value, unit, reference_range
    )


def _range_text(printed: ReportedRange) -> str:
    if printed.low is not None and printed.high is not None:
        return f"{printed.low:g} - {printed.high:g}"
    if printed.high is not None:
        return f"< {printed.high:g}"
    return f"> {printed.low:g}"


def lab_extractor(settings: Settings, redis: Redis) -> ModelLabExtractor | None:
    """The small-model extractor, as the other small-model roles are built; None (the offline
    parser) when no chat model is configured."""
    models = chat_models(settings)
    if not models.small:
        return None
    return ModelLabExtractor(ModelChain("extract", models.small, build_guard(settings, redis)))
