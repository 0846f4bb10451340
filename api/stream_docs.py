"""What the OpenAPI schema says of the bodies FastAPI cannot see: the server-sent events a job
streams (docs/events.md) and the blood-work upload, read from the raw multipart request so that
its size is checked while it streams in."""

from __future__ import annotations

from typing import Any

from shared.events import EventType

_EVENTS = {
    EventType.STATUS: '`{"stage", "position"?}`: queued (with its place), translating, '
    "retrieving, reranking, generating, reviewing",
    EventType.TOKEN: '`{"text"}`: the next chunk of the answer; concatenate them',
    EventType.CITATIONS: '`[{"title", "source", "url", "score", "passage_id"}]`, in the order '
    "of the answer's [1], [2] markers",
    EventType.SUGGESTIONS: "three follow-up questions",
    EventType.RESET: '`{"reason"}`: discard the tokens, citations and suggestions so far',
    EventType.DONE: '`{"message_id", "answer", "cached", "mode", "language", "timings"}`; terminal',
    EventType.ERROR: '`{"code", "message", "retryable"}`; terminal',
}
_EXAMPLE = (
    'id: 1795636324092-0\r\nevent: status\r\ndata: {"stage":"queued","position":1}\r\n\r\n'
    'id: 1795636324310-0\r\nevent: token\r\ndata: {"text":"Endometriosis "}\r\n\r\n'
)


def event_stream(description: str) -> dict[str, Any]:
    """A 200 response that is the job's server-sent events."""
    events = "\n".join(f"- `{event}`: {meaning}" for event, meaning in _EVENTS.items())
    return {
        "description": f"{description}\n\nEach event has an `id` (resume from it with "
        f"`Last-Event-ID`), an `event` type and one line of JSON `data`:\n\n{events}",
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }


def multipart_file(field: str, description: str) -> dict[str, Any]:
    """`openapi_extra` for a route reading one file from a multipart/form-data body."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [field],
                        "properties": {
                            field: {
                                "type": "string",
                                "format": "binary",
                                "description": description,
                            }
                        },
                    },
                    "encoding": {field: {"contentType": "application/pdf"}},
                }
            },
        }
    }
