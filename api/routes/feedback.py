"""POST /v1/feedback: rate an answer of the session's own conversations, 1 to 5 stars."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SESSION_ERRORS, ResourcesDep, SessionDep, require_json
from api.error_docs import BODY_ERRORS, error_responses
from api.errors import MessageNotFound, UnsupportedMediaType
from api.ratelimit import LIMIT_ERRORS
from api.text_input import Text
from shared.chat.ratings import MAX_RATING, MIN_RATING, AnswerNotFound, Rating, rate_answer

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: uuid.UUID = Field(description="The answer's id: `message_id` of its `done`.")
    rating: int = Field(ge=MIN_RATING, le=MAX_RATING, description="Stars, 1 (poor) to 5.")
    reason: Text | None = Field(default=None, max_length=1000)


class FeedbackOut(BaseModel):
    message_id: uuid.UUID
    rating: int
    reason: str | None


@router.post(
    "",
    dependencies=[Depends(require_json)],
    responses=error_responses(
        *LIMIT_ERRORS, *SESSION_ERRORS, UnsupportedMediaType, *BODY_ERRORS, MessageNotFound
    ),
)
async def rate(body: FeedbackIn, session: SessionDep, resources: ResourcesDep) -> FeedbackOut:
    """Rate an answer; rating it again replaces the earlier rating. Five stars make the answer
    to a conversation's first question a gold answer, replayed to new conversations that ask the
    same; a lower rating takes that back."""
    reason = (body.reason or "").strip() or None
    rating = Rating(body.message_id, body.rating, reason)
    try:
        await rate_answer(resources.sessionmaker, resources.redis, session.id, rating)
    except AnswerNotFound as error:
        raise MessageNotFound from error
    return FeedbackOut(message_id=rating.message_id, rating=rating.rating, reason=reason)
