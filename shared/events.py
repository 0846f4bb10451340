"""The job event protocol (DESIGN.md §5) on one capped Redis Stream per job."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from redis.asyncio import Redis


class EventType(StrEnum):
    STATUS = "status"
    TOKEN = "token"
    CITATIONS = "citations"
    SUGGESTIONS = "suggestions"
    RESET = "reset"
    DONE = "done"
    ERROR = "error"


TERMINAL_EVENTS = frozenset({EventType.DONE, EventType.ERROR})


class Stage(StrEnum):
    QUEUED = "queued"
    RETRIEVING = "retrieving"
    RERANKING = "reranking"
    GENERATING = "generating"
    REVIEWING = "reviewing"
    TRANSLATING = "translating"


class Citation(BaseModel):
    title: str
    source: str
    url: str
    score: float
    # The knowledge passage cited (usage counts, feedback); empty in answers cached before it.
    passage_id: str = ""


class Timings(BaseModel):
    queue_ms: float
    retrieval_ms: float
    ttft_ms: float
    total_ms: float


class DoneData(BaseModel):
    message_id: str
    answer: str
    cached: bool
    mode: str
    language: str
    timings: Timings


class ErrorData(BaseModel):
    code: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class StreamEvent:
    id: str
    type: EventType
    data: str  # JSON text, sent as the SSE `data:` line as it is

    @property
    def is_terminal(self) -> bool:
        return self.type in TERMINAL_EVENTS

    def payload(self) -> Any:
        return json.loads(self.data)


_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def is_stream_id(value: str) -> bool:
    return bool(_STREAM_ID.match(value))


def stream_key(job_id: str) -> str:
    return f"job:{job_id}:events"


def encode(data: BaseModel | list[Any] | dict[str, Any]) -> str:
    if isinstance(data, BaseModel):
        return data.model_dump_json()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_entry(entry_id: str, fields: dict[str, str]) -> StreamEvent:
    return StreamEvent(id=entry_id, type=EventType(fields["event"]), data=fields["data"])


# Appends one event unless the stream was closed by a terminal event; a terminal event closes
# it and starts the expiry. KEYS: stream, closed marker. ARGV: event, data, max length,
# "1" when terminal, TTL seconds. Returns the entry id, or false once closed.
PUBLISH_SCRIPT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*',
                      'event', ARGV[1], 'data', ARGV[2])
if ARGV[4] == '1' then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[5])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return id
"""


class EventPublisher:
    """Appends events to a job's stream; nothing is appended after a terminal event."""

    def __init__(self, redis: Redis, job_id: str, max_len: int, ttl_seconds: int) -> None:
        self._keys = [stream_key(job_id), f"{stream_key(job_id)}:closed"]
        self._max_len = max_len
        self._ttl_seconds = ttl_seconds
        self._publish = redis.register_script(PUBLISH_SCRIPT)

    async def publish(
        self, event: EventType, data: BaseModel | list[Any] | dict[str, Any]
    ) -> str | None:
        """The new entry's id, or None when the stream had already ended."""
        keys, args = self.script_call(event, data)
        entry_id = await self._publish(keys=keys, args=args)
        return str(entry_id) if entry_id else None

    def script_call(
        self, event: EventType, data: BaseModel | list[Any] | dict[str, Any]
    ) -> tuple[list[str], list[str | int]]:
        """The keys and arguments of PUBLISH_SCRIPT that append this event."""
        terminal = "1" if event in TERMINAL_EVENTS else "0"
        return self._keys, [event.value, encode(data), self._max_len, terminal, self._ttl_seconds]


async def read_after(redis: Redis, job_id: str, after_id: str, count: int) -> list[StreamEvent]:
    """Entries strictly after `after_id` ("0-0" for all), oldest first."""
    entries = await redis.xrange(stream_key(job_id), min=f"({after_id}", max="+", count=count)
    return [parse_entry(entry_id, fields) for entry_id, fields in entries]


async def last_entry_id(redis: Redis, job_id: str) -> str:
    entries = await redis.xrevrange(stream_key(job_id), count=1)
    return str(entries[0][0]) if entries else "0-0"


def stream_id_key(entry_id: str) -> tuple[int, int]:
    """Sort key of a stream id, for comparing ids without string pitfalls."""
    milliseconds, sequence = entry_id.split("-")
    return int(milliseconds), int(sequence)
