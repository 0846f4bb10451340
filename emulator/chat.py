"""The chat-completions request and the deterministic completion planned for it."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from pydantic import Field

from emulator.errors import OpenModel
from emulator.text import SUGGESTED_QUESTIONS, completion_words, count_tokens

PROSE_LEAD = "Here is the review you asked for: "


class ContentPart(OpenModel):
    type: str = "text"
    text: str | None = None


class ChatMessage(OpenModel):
    role: str
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content)
        return self.content or ""


class StreamOptions(OpenModel):
    include_usage: bool = False


class ResponseFormat(OpenModel):
    type: str


class ChatRequest(OpenModel):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    response_format: ResponseFormat | None = None

    @property
    def json_mode(self) -> bool:
        return self.response_format is not None and self.response_format.type == "json_object"

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


@dataclass(frozen=True)
class Completion:
    """The answer as tokens (`pieces`, one per token; joined they are the content)."""

    pieces: list[str]
    finish_reason: str
    prompt_tokens: int

    @property
    def content(self) -> str:
        return "".join(self.pieces)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + len(self.pieces)

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": len(self.pieces),
            "total_tokens": self.total_tokens,
        }

    def spoiled(self) -> Completion:
        """The same tokens after a sentence of prose, so that the content is not valid JSON."""
        return replace(self, pieces=[PROSE_LEAD + self.pieces[0], *self.pieces[1:]])


def plan_completion(
    request: ChatRequest,
    words: int,
    json_reply: dict[str, Any] | None = None,
    text_reply: str | None = None,
) -> Completion:
    """`words` words for plain text, or `text_reply` word by word; in JSON mode `json_reply`, or
    else the review object, four characters a token. A `max_tokens` below that cuts the answer
    (finish_reason "length")."""
    texts = [message.text() for message in request.messages]
    pieces: list[str]
    if request.json_mode:
        users = [m.text() for m in request.messages if m.role == "user"]
        review = {
            "revised_response": users[-1] if users else "",
            "suggested_questions": list(SUGGESTED_QUESTIONS),
        }
        content = json.dumps(review if json_reply is None else json_reply, ensure_ascii=False)
        pieces = [content[i : i + 4] for i in range(0, len(content), 4)]
    else:
        seed = json.dumps([request.model, [[m.role, m.text()] for m in request.messages]])
        chosen = text_reply.split() if text_reply else completion_words(seed, words)
        pieces = chosen[:1] + [" " + word for word in chosen[1:]]
    cap = request.max_completion_tokens or request.max_tokens
    if cap is not None and cap < len(pieces):
        return Completion(pieces[:cap], "length", count_tokens(texts))
    return Completion(pieces, "stop", count_tokens(texts))
