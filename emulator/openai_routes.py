"""OpenAI's and Groq's wire formats: chat completions (plain and SSE) and embeddings.

OpenAI is served under `/v1`, Groq under `/openai/v1` (the paths `AsyncGroq` calls). Groq's
streams also carry `x_groq.usage` in their final chunk, as Groq's own do.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from emulator.chat import ChatRequest, Completion, plan_completion
from emulator.config import EndpointKind
from emulator.counters import Outcome
from emulator.errors import OpenModel, Provider, authorized_body, error_response
from emulator.gate import Call, admit
from emulator.state import EmulatorState
from emulator.text import count_tokens, embedding

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]
MALFORMED_CHUNK = b'data: {"id": "chatcmpl-emulator", "choices": [{"delta": {"content": \n\n'


class EmbeddingRequest(OpenModel):
    model: str
    input: str | list[str] | list[int] | list[list[int]]
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64"] = "float"

    def texts(self) -> list[str]:
        """Token-id inputs are embedded as the text of their numbers."""
        if isinstance(self.input, str):
            return [self.input]
        return [item if isinstance(item, str) else _numbers(item) for item in self.input]


def _numbers(item: int | list[int]) -> str:
    return str(item) if isinstance(item, int) else " ".join(map(str, item))


def routes(state: EmulatorState) -> list[Route]:
    found: list[Route] = []
    for prefix, provider in (("/v1", Provider.OPENAI), ("/openai/v1", Provider.GROQ)):
        chat, embeddings = _chat(state, provider), _embeddings(state, provider)
        found.append(Route(f"{prefix}/chat/completions", chat, methods=["POST"]))
        found.append(Route(f"{prefix}/embeddings", embeddings, methods=["POST"]))
    return found


def _chat(state: EmulatorState, provider: Provider) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = await authorized_body(request, ChatRequest, provider)
        if isinstance(body, Response):
            return body
        state.prompts.append([{"role": m.role, "content": m.text()} for m in body.messages])
        completion = plan_completion(
            body, state.config.completion_tokens, state.config.json_reply, state.config.text_reply
        )
        call = Call(
            provider,
            EndpointKind.CHAT,
            body.model,
            tokens=completion.total_tokens,
            stream=body.stream,
            json_mode=body.json_mode,
        )
        verdict = await admit(state, call)
        if isinstance(verdict, Response):
            return verdict
        if verdict is Outcome.INVALID_JSON:
            completion = completion.spoiled()
        envelope = _Envelope(provider, body.model)
        if not body.stream:
            return JSONResponse(envelope.completion(completion))
        rate = state.config.tokens_per_second
        chunks = envelope.stream(completion, body.include_usage, verdict, 1 / rate if rate else 0)
        return StreamingResponse(chunks, media_type="text/event-stream")

    return endpoint


class _Envelope:
    """The fields every response or chunk of one completion shares."""

    def __init__(self, provider: Provider, model: str) -> None:
        self.provider = provider
        self.fields: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_emulator",
        }
        self.request_id = f"req_{uuid.uuid4().hex}"

    def completion(self, completion: Completion) -> dict[str, Any]:
        message = {"role": "assistant", "content": completion.content}
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": completion.finish_reason,
        }
        body = {
            **self.fields,
            "object": "chat.completion",
            "choices": [choice],
            "usage": completion.usage(),
        }
        if self.provider is Provider.GROQ:
            body["x_groq"] = {"id": self.request_id}
        return body

    def chunk(self, delta: dict[str, str], finish_reason: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return self.event({"choices": [choice], **extra})

    def event(self, fields: dict[str, Any]) -> bytes:
        data = {**self.fields, "object": "chat.completion.chunk", **fields}
        return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"

    async def stream(
        self, completion: Completion, include_usage: bool, verdict: Outcome, pause: float
    ) -> AsyncIterator[bytes]:
        """Role chunk, one chunk a token (paced), finish chunk, usage chunk, `[DONE]`.
        TRUNCATE stops cleanly halfway; MALFORMED slips in one chunk that is not JSON."""
        usage_field: dict[str, Any] = {"usage": None} if include_usage else {}
        yield self.chunk({"role": "assistant", "content": ""}, **usage_field)
        pieces = completion.pieces
        if verdict is Outcome.TRUNCATE:
            pieces = pieces[: max(1, len(pieces) // 2)]
        for number, piece in enumerate(pieces):
            if number and pause:
                await asyncio.sleep(pause)
            yield self.chunk({"content": piece}, **usage_field)
            if number == 0 and verdict is Outcome.MALFORMED:
                yield MALFORMED_CHUNK
        if verdict is Outcome.TRUNCATE:
            return
        final: dict[str, Any] = dict(usage_field)
        if self.provider is Provider.GROQ:
            final["x_groq"] = {"id": self.request_id, "usage": completion.usage()}
        yield self.chunk({}, completion.finish_reason, **final)
        if include_usage:
            yield self.event({"choices": [], "usage": completion.usage()})
        yield b"data: [DONE]\n\n"


def _embeddings(state: EmulatorState, provider: Provider) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        body = await authorized_body(request, EmbeddingRequest, provider)
        if isinstance(body, Response):
            return body
        texts = body.texts()
        if not texts:
            return error_response(provider, 400, "Invalid request: input must not be empty")
        tokens = count_tokens(texts)
        verdict = await admit(state, Call(provider, EndpointKind.EMBEDDINGS, body.model, tokens))
        if isinstance(verdict, Response):
            return verdict
        dimensions = body.dimensions or state.config.embedding_dimensions
        data = [
            {"object": "embedding", "index": index, "embedding": _encode(vector, body)}
            for index, vector in enumerate(embedding(text, dimensions) for text in texts)
        ]
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse({"object": "list", "data": data, "model": body.model, "usage": usage})

    return endpoint


def _encode(vector: list[float], body: EmbeddingRequest) -> list[float] | str:
    """float: a JSON list; base64: little-endian float32 bytes, as OpenAI sends them."""
    if body.encoding_format == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
