"""OpenAI's chat completions format over this API's chat jobs (docs/clients.md).

A request's last user message is the question; the job is the one `POST /v1/chat` queues, so
the queue, pipeline, limits and cache are the same. Its events become a `chat.completion`, or
`chat.completion.chunk`s streamed as `data:` lines ending `data: [DONE]`. What OpenAI's format
has no field for (citations, suggestions, the job and conversation ids) goes in the extension
field `izana`. Errors on these routes have OpenAI's shape, `{"error": {"message", "type",
"param", "code"}}`, so that an OpenAI SDK raises them as its own error types.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.errors import AnswerFailed, ValidationFailed
from api.openai_errors import openai_error_body
from api.question_admission import Language
from api.sse.hub import Frame
from shared.events import EventType

MODEL_ID = "izana"
MODEL_CREATED = 1_767_225_600  # 2026-01-01, when the model was first served


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    """OpenAI's request; its sampling options (temperature, max_tokens…) are accepted and
    ignored: the pipeline decides how to answer."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description=f"`{MODEL_ID}` (GET /v1/models).")
    messages: list[ChatMessage] = Field(
        min_length=1,
        description="The last `user` message is the question. The conversation's history is "
        "the server's: pass `conversation_id` to continue one.",
    )
    stream: bool = False
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Extension: the conversation to continue (`izana` of an answer)."
    )
    language: Language = None

    def question(self) -> str:
        """The last user message's text; a 422 when there is none."""
        for message in reversed(self.messages):
            if message.role == "user" and message.text().strip():
                return message.text().strip()
        raise ValidationFailed([{"field": "messages", "message": "no user message with text"}])


@dataclass
class AnswerSoFar:
    """A job's answer as its events tell it: the tokens of the current attempt (a `reset`
    starts again), its citations and suggestions, and its end (`done` or `error`)."""

    text: str = ""
    extension: dict[str, Any] = field(default_factory=dict)
    done: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    def add(self, frame: Frame) -> None:
        data = json.loads(frame.data)
        if frame.event == EventType.TOKEN:
            self.text += data["text"]
        elif frame.event == EventType.RESET:
            self.text = ""
        elif frame.event in (EventType.CITATIONS, EventType.SUGGESTIONS):
            self.extension[frame.event] = data
        elif frame.event == EventType.DONE:
            self.done = data
            self.text = data["answer"]
        elif frame.event == EventType.ERROR:
            self.error = data

    def failure(self) -> AnswerFailed:
        error = self.error or {}
        return AnswerFailed(str(error.get("message", AnswerFailed.message)), error)


@dataclass(frozen=True)
class Completion:
    """One answer's identity in OpenAI's format."""

    job_id: str
    conversation_id: uuid.UUID
    model: str
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def id(self) -> str:
        return f"chatcmpl-{self.job_id}"

    def extension(self, answer: AnswerSoFar) -> dict[str, Any]:
        done = answer.done or {}
        return {
            "job_id": self.job_id,
            "conversation_id": str(self.conversation_id),
            "citations": answer.extension.get(EventType.CITATIONS, []),
            "suggestions": answer.extension.get(EventType.SUGGESTIONS, []),
            **{
                key: done[key]
                for key in ("message_id", "cached", "mode", "language")
                if key in done
            },
        }

    def response(self, answer: AnswerSoFar) -> dict[str, Any]:
        """The whole `chat.completion` of a finished answer."""
        if answer.error is not None:
            raise answer.failure()
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": "stop",
                }
            ],
            "izana": self.extension(answer),
        }

    def chunk(
        self,
        delta: dict[str, Any],
        finish_reason: str | None = None,
        extension: dict[str, Any] | None = None,
    ) -> bytes:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if extension is not None:
            body["izana"] = extension
        return _data(body)


async def finished(batches: AsyncIterator[list[Frame]]) -> AnswerSoFar:
    """The answer once the job has ended."""
    answer = AnswerSoFar()
    async for batch in batches:
        for frame in batch:
            answer.add(frame)
    return answer


async def chunks(
    completion: Completion, batches: AsyncIterator[list[Frame]]
) -> AsyncIterator[bytes]:
    """The answer as `chat.completion.chunk`s while it is written, then `[DONE]`.

    Text once sent cannot be taken back. After a `reset`, the new attempt's text is sent only
    beyond what was sent already; if the finished answer does not begin with what was sent (a
    retry or the review rewrote it), the last chunk's `izana.content` holds the whole answer,
    which replaces the streamed text."""
    answer, sent = AnswerSoFar(), ""
    yield completion.chunk({"role": "assistant", "content": ""})
    async for batch in batches:
        for frame in batch:
            answer.add(frame)
            if answer.text.startswith(sent) and len(answer.text) > len(sent):
                yield completion.chunk({"content": answer.text[len(sent) :]})
                sent = answer.text
    if answer.error is not None:
        yield _data(openai_error_body(answer.failure()))
    else:
        extension = completion.extension(answer)
        if answer.text != sent:
            extension["content"] = answer.text
        yield completion.chunk({}, "stop", extension)
    yield b"data: [DONE]\n\n"


def _data(body: dict[str, Any]) -> bytes:
    return (
        b"data: " + json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
    )


def models() -> dict[str, Any]:
    """`GET /v1/models`: what `model` may name."""
    return {
        "object": "list",
        "data": [
            {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": "izana"}
        ],
    }
