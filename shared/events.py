"""The job event protocol (docs/events.md) on one capped Redis Stream per job."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel
from redis.asyncio import Redis

from shared.jobs import MOVE_RECORD_LUA, JobStatus, job_key


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


# `done.cached`: true for an answer from the response cache, "gold" for one replayed from a gold
# answer (a 5-star answer to another wording of the question), false for one made for this job.
GOLD: Final = "gold"
Cached = bool | Literal["gold"]


class DoneData(BaseModel):
    message_id: str
    answer: str
    cached: Cached
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


# Both parts of a Redis stream id are unsigned 64-bit integers.
MAX_STREAM_ID_PART = 2**64 - 1


def is_stream_id(value: str) -> bool:
    """`<ms>-<seq>` with both parts in Redis's range: an id Redis can compare with."""
    return bool(_STREAM_ID.match(value)) and max(stream_id_key(value)) <= MAX_STREAM_ID_PART


def stream_key(job_id: str) -> str:
    return f"job:{job_id}:events"


def encode(data: BaseModel | list[Any] | dict[str, Any]) -> str:
    if isinstance(data, BaseModel):
        return data.model_dump_json()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_entry(entry_id: str, fields: dict[str, str]) -> StreamEvent:
    return StreamEvent(id=entry_id, type=EventType(fields["event"]), data=fields["data"])


# Appends events to a job's stream and publishes their live copy on the channel named like the
# stream, one line "<id> <event> <data>" per event, which API processes subscribe to while they
# relay the job (docs/events.md). Event data is JSON, which never holds a raw line break. Every
# script that appends to a job stream starts with this function; `events` is a flat list of
# event, data, event, data... Returns the last entry's id.
APPEND_EVENTS_LUA = """
local function append_events(stream, max_len, events)
  local lines, id = {}, nil
  for i = 1, #events, 2 do
    id = redis.call('XADD', stream, 'MAXLEN', '~', max_len, '*', 'event', events[i],
      'data', events[i + 1])
    lines[#lines + 1] = id .. ' ' .. events[i] .. ' ' .. events[i + 1]
  end
  redis.call('PUBLISH', stream, table.concat(lines, '\\n'))
  return id
end
"""


def parse_live_copies(payload: str) -> list[tuple[str, str, str]]:
    """The entry id, event and data of each event in a live copy."""
    copies: list[tuple[str, str, str]] = []
    for line in payload.split("\n"):
        entry_id, event, data = line.split(" ", 2)
        copies.append((entry_id, event, data))
    return copies


# Appends events, in order, unless the stream was closed by a terminal event, or the job's
# record has moved on to a later attempt than the publisher's (the fence: a worker that lost its
# job's lease must not write into the stream of the attempt that took it over). Only the last
# event may be terminal: it closes the stream and starts the expiry. With a status change, the
# events are appended only if the record moves (from one of the allowed statuses), in the same
# step: a job's outcome and its terminal event are never written one without the other.
# KEYS: stream, closed marker, job record. ARGV: max length, TTL seconds, attempt ("" for no
# fence), "1" when the last event is terminal, event count n, n event/data pairs, then
# optionally: new status, comma-separated allowed statuses, field/value pairs for the record.
# Returns the last entry's id, false when closed or the record did not move, 0 when fenced off.
PUBLISH_SCRIPT = (
    APPEND_EVENTS_LUA
    + MOVE_RECORD_LUA
    + """
if ARGV[3] ~= '' and redis.call('HGET', KEYS[3], 'attempts') ~= ARGV[3] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local last = 5 + 2 * tonumber(ARGV[5])
if ARGV[last + 1] then
  local moved = move_record(KEYS[3], ARGV[last + 2], ARGV[last + 1], unpack(ARGV, last + 3))
  if not moved then return false end
end
local id = append_events(KEYS[1], ARGV[1], {unpack(ARGV, 6, last)})
if ARGV[4] == '1' then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return id
"""
)


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended: its type and its data as JSON text."""

    type: EventType
    data: str

    @classmethod
    def of(cls, event: EventType, data: BaseModel | list[Any] | dict[str, Any]) -> NewEvent:
        return cls(event, encode(data))


@dataclass(frozen=True)
class StatusChange:
    """Moves a job's record to `to` if it is in one of `allowed_from`, writing `fields`."""

    to: JobStatus
    allowed_from: frozenset[JobStatus]
    fields: dict[str, str]

    def arguments(self) -> list[str]:
        pairs = [item for key, value in self.fields.items() for item in (key, value)]
        return [self.to.value, ",".join(sorted(self.allowed_from)), *pairs]


class AttemptSuperseded(Exception):
    """A later attempt of the job has started (this worker's lease lapsed): stop writing."""


class EventPublisher:
    """Appends events to a job's stream; nothing is appended after a terminal event.

    With `attempt`, it writes only while that attempt is the job's latest one.
    """

    def __init__(
        self, redis: Redis, job_id: str, max_len: int, ttl_seconds: int, attempt: int | None = None
    ) -> None:
        self.job_id = job_id
        self._keys = [stream_key(job_id), f"{stream_key(job_id)}:closed", job_key(job_id)]
        self._max_len = max_len
        self._ttl_seconds = ttl_seconds
        self._attempt = "" if attempt is None else str(attempt)
        self._publish = redis.register_script(PUBLISH_SCRIPT)

    async def publish(
        self,
        event: EventType,
        data: BaseModel | list[Any] | dict[str, Any],
        change: StatusChange | None = None,
    ) -> str | None:
        """Appends one event: see `publish_all`."""
        return await self.publish_all([NewEvent.of(event, data)], change)

    async def publish_all(
        self, events: Sequence[NewEvent], change: StatusChange | None = None
    ) -> str | None:
        """Appends the events in one step; the last entry's id. None when the stream had
        already ended or, given `change`, the record could not move (then nothing is written).

        Raises AttemptSuperseded when a later attempt owns the job.
        """
        keys, args = self.script_call(events, change)
        return self.outcome(await self._publish(keys=keys, args=args))

    def outcome(self, reply: Any) -> str | None:
        """What `publish_all` returns for PUBLISH_SCRIPT's `reply`."""
        if reply == 0:
            raise AttemptSuperseded(self._keys[2])
        return str(reply) if reply else None

    def script_call(
        self, events: Sequence[NewEvent], change: StatusChange | None = None
    ) -> tuple[list[str], list[str]]:
        """The keys and arguments of PUBLISH_SCRIPT that append these events."""
        if any(event.type in TERMINAL_EVENTS for event in events[:-1]):
            raise ValueError("only the last event may end a stream")
        terminal = "1" if events[-1].type in TERMINAL_EVENTS else "0"
        args = [str(self._max_len), str(self._ttl_seconds), self._attempt, terminal]
        args.append(str(len(events)))
        for event in events:
            args += [event.type.value, event.data]
        args += change.arguments() if change else ()
        return self._keys, args


async def read_after(redis: Redis, job_id: str, after_id: str, count: int) -> list[StreamEvent]:
    """Entries strictly after `after_id` ("0-0" for all), oldest first."""
    entries = await redis.xrange(stream_key(job_id), min=f"({after_id}", max="+", count=count)
    return [parse_entry(entry_id, fields) for entry_id, fields in entries]


async def last_event(redis: Redis, job_id: str) -> StreamEvent | None:
    """The stream's newest entry, if it has any."""
    entries = await redis.xrevrange(stream_key(job_id), count=1)
    return parse_entry(*entries[0]) if entries else None


def streamed_answer(events: Sequence[StreamEvent]) -> str:
    """The token texts after the last `reset`, which a client shows as the answer."""
    parts: list[str] = []
    for event in events:
        if event.type is EventType.RESET:
            parts.clear()
        elif event.type is EventType.TOKEN:
            parts.append(event.payload()["text"])
    return "".join(parts)


def stream_id_key(entry_id: str) -> tuple[int, int]:
    """Sort key of a stream id, for comparing ids without string pitfalls."""
    milliseconds, sequence = entry_id.split("-")
    return int(milliseconds), int(sequence)
