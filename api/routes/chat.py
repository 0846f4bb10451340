"""POST /v1/chat: admit a question; answer 202 with links, or stream it in the same response."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.chat_admission import admit_chat
from api.deps import CapabilityDep, HubDep, ResourcesDep, SessionDep, require_json
from api.errors import ApiError
from api.links import events_url, status_url
from api.ratelimit import limit_chat
from api.streamed_jobs import streamed_or_accepted
from shared.rag.language import parse_language

router = APIRouter(prefix="/v1/chat", tags=["chat"])


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="The user's question.")
    conversation_id: uuid.UUID | None = None
    language: str | None = Field(default=None, description="en, ta, hi, te, ml, es or ja")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be empty")
        return value.strip()

    @field_validator("language")
    @classmethod
    def _supported_language(cls, value: str | None) -> str | None:
        parsed = parse_language(value)
        return parsed.value if parsed else None


class ChatAccepted(BaseModel):
    job_id: str
    conversation_id: uuid.UUID
    events_url: str
    status_url: str


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_json), Depends(limit_chat)],
    response_model=ChatAccepted,
    responses={200: {"content": {"text/event-stream": {}}, "description": "streamed answer"}},
)
async def chat(
    body: ChatIn,
    session: SessionDep,
    resources: ResourcesDep,
    hub: HubDep,
    capability: CapabilityDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Queue a question. With `Accept: text/event-stream` the answer streams in this response."""
    limit = resources.settings.max_message_chars
    if len(body.message) > limit:
        raise ApiError(
            422, "message_too_long", f"The message is longer than {limit} characters; shorten it."
        )
    admitted = await admit_chat(
        resources, session, body.message, body.conversation_id, body.language
    )
    links = ChatAccepted(
        job_id=admitted.job_id,
        conversation_id=admitted.conversation_id,
        events_url=events_url(capability, admitted.job_id),
        status_url=status_url(admitted.job_id),
    )
    conversation = {"X-Conversation-Id": str(admitted.conversation_id)}
    return streamed_or_accepted(accept, hub, resources, admitted.job_id, links, conversation)
