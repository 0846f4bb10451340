"""POST /v1/chat: admit a question; answer 202 with links, or stream it in the same response."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import SESSION_ERRORS, ResourcesDep, SessionDep, require_json
from api.error_docs import BODY_ERRORS, error_responses
from api.errors import ConversationNotFound, MessageTooLong, UnsupportedMediaType
from api.question_admission import (
    AskedQuestion,
    JobReplyDep,
    Language,
    QuestionAccepted,
    admit_chat,
)
from api.ratelimit import LIMIT_ERRORS, limit_chat
from api.stream_docs import event_stream
from api.text_input import Text

router = APIRouter(prefix="/v1/chat", tags=["chat"])


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Text = Field(description="The user's question.")
    conversation_id: uuid.UUID | None = None
    language: Language = None

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be empty")
        return value.strip()


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_json), Depends(limit_chat)],
    response_model=QuestionAccepted,
    responses={
        200: event_stream("The answer, streamed (`Accept: text/event-stream`)."),
        **error_responses(
            *LIMIT_ERRORS,
            *SESSION_ERRORS,
            UnsupportedMediaType,
            *BODY_ERRORS,
            MessageTooLong,
            ConversationNotFound,
        ),
    },
)
async def chat(
    body: ChatIn,
    session: SessionDep,
    resources: ResourcesDep,
    reply: JobReplyDep,
) -> Response:
    """Queue a question. With `Accept: text/event-stream` the answer streams in this response."""
    asked = AskedQuestion(body.message, body.language, body.conversation_id)
    return reply.to(await admit_chat(resources, session, asked))
