"""OpenAI-compatible routes: `POST /v1/chat/completions` and `GET /v1/models`, so that an OpenAI
SDK or chat UI can use Izana as a model (api/openai_compat.py, docs/clients.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse

from api.deps import SESSION_ERRORS, HubDep, ResourcesDep, SessionDep, require_json
from api.error_docs import BODY_ERRORS, error_responses
from api.errors import (
    AnswerFailed,
    ConversationNotFound,
    MessageTooLong,
    ModelNotFound,
    UnsupportedMediaType,
)
from api.openai_compat import (
    MODEL_ID,
    Completion,
    CompletionRequest,
    chunks,
    finished,
    models,
)
from api.openai_errors import OPENAI_SHAPE
from api.question_admission import AskedQuestion, admit_chat
from api.ratelimit import LIMIT_ERRORS, limit_chat
from api.sse.relay import job_events

router = APIRouter(prefix="/v1", tags=["openai"])

_COMPLETION = {
    "description": "A `chat.completion`; with `stream: true`, `chat.completion.chunk`s as "
    "server-sent `data:` lines ending `data: [DONE]`. The extension field `izana` holds the "
    "citations, suggestions, job and conversation ids (in a stream, on the last chunk).",
    "content": {"application/json": {}, "text/event-stream": {"schema": {"type": "string"}}},
}


@router.get("/models", responses=error_responses(*LIMIT_ERRORS, shape=OPENAI_SHAPE))
async def list_models() -> dict[str, Any]:
    """The models `POST /v1/chat/completions` serves; no session needed."""
    return models()


@router.post(
    "/chat/completions",
    dependencies=[Depends(require_json), Depends(limit_chat)],
    responses={
        200: _COMPLETION,
        **error_responses(
            *LIMIT_ERRORS,
            *SESSION_ERRORS,
            UnsupportedMediaType,
            *BODY_ERRORS,
            MessageTooLong,
            ModelNotFound,
            ConversationNotFound,
            AnswerFailed,
            shape=OPENAI_SHAPE,
        ),
    },
)
async def chat_completions(
    body: CompletionRequest, session: SessionDep, resources: ResourcesDep, hub: HubDep
) -> Response:
    """Ask the last user message, with the session token as the API key; the answer whole, or
    streamed with `stream: true`. Errors have OpenAI's shape."""
    if body.model != MODEL_ID:
        raise ModelNotFound(body.model)
    asked = AskedQuestion(body.question(), body.language, body.conversation_id)
    job = await admit_chat(resources, session, asked)
    completion = Completion(job.job_id, job.conversation_id, body.model)
    events = job_events(hub, resources.redis, job.job_id, "0-0")
    if body.stream:
        ping = resources.settings.sse_ping_seconds
        return EventSourceResponse(chunks(completion, events), ping=ping)
    return JSONResponse(completion.response(await finished(events)))
