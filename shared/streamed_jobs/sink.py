"""The pipeline's output sent to a job's event stream, through the token coalescer."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import Citation, EventType, Stage
from shared.streamed_jobs.coalescer import TokenCoalescer


@dataclass
class StreamSink:
    """An `AnswerSink` writing the job's events."""

    events: TokenCoalescer

    async def status(self, stage: Stage) -> None:
        await self.events.publish(EventType.STATUS, {"stage": stage.value})

    async def token(self, text: str) -> None:
        await self.events.add(text)

    async def reset(self, reason: str) -> None:
        await self.events.publish(EventType.RESET, {"reason": reason})

    async def citations(self, citations: list[Citation]) -> None:
        await self.events.publish(EventType.CITATIONS, [c.model_dump() for c in citations])

    async def suggestions(self, suggestions: list[str]) -> None:
        await self.events.publish(EventType.SUGGESTIONS, suggestions)
