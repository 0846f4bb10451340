"""The pipeline's output sent to a job's event stream, through the event coalescer."""

from __future__ import annotations

from dataclasses import dataclass

from shared.coalescing import EventCoalescer
from shared.events import Citation, EventType, Stage


@dataclass
class StreamSink:
    """An `AnswerSink` writing the job's events."""

    events: EventCoalescer

    async def status(self, stage: Stage) -> None:
        await self.events.add(EventType.STATUS, {"stage": stage.value})

    async def token(self, text: str) -> None:
        await self.events.add_token(text)

    async def reset(self, reason: str) -> None:
        await self.events.add(EventType.RESET, {"reason": reason})

    async def citations(self, citations: list[Citation]) -> None:
        await self.events.add(EventType.CITATIONS, [c.model_dump() for c in citations])

    async def suggestions(self, suggestions: list[str]) -> None:
        await self.events.add(EventType.SUGGESTIONS, suggestions)
