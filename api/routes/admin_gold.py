"""Admin: the gold answers (5-star answers replayed to new conversations asking the same), listed
newest first and revoked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.admin_auth import ADMIN_ERRORS, AdminDep
from api.deps import ResourcesDep
from api.error_docs import error_responses
from api.errors import GoldAnswerNotFound, InvalidCursor, ValidationFailed
from api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, decode_cursor, encode_cursor
from api.ratelimit import LIMIT_ERRORS, limit_admin
from shared.chat import gold
from shared.chat.gold import GoldSummary

router = APIRouter(
    prefix="/v1/admin/gold", tags=["admin"], dependencies=[Depends(limit_admin), AdminDep]
)


class GoldAnswerOut(BaseModel):
    id: uuid.UUID
    message_id: uuid.UUID = Field(description="The rated answer, whose text is replayed.")
    question: str = Field(description="The first question of its conversation.")
    answer: str
    language: str = Field(description="The question's language; only questions in it match.")
    kb_version: str = Field(description="The knowledge base it was made from; only it matches.")
    embedder: str | None = Field(
        description="The model that embedded its question; null until a worker has compared a "
        "question with it."
    )
    created_at: datetime
    revoked_at: datetime | None = Field(description="Set once revoked: it is replayed no more.")


class GoldAnswersPage(BaseModel):
    gold_answers: list[GoldAnswerOut] = Field(description="Newest first, revoked ones too.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def _out(summary: GoldSummary) -> GoldAnswerOut:
    return GoldAnswerOut(**vars(summary))


@router.get(
    "",
    responses=error_responses(*LIMIT_ERRORS, *ADMIN_ERRORS, InvalidCursor, ValidationFailed),
)
async def admin_list_gold_answers(
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> GoldAnswersPage:
    """Every gold answer, newest first, a page at a time."""
    before = decode_cursor(cursor) if cursor else None
    page = await gold.list_gold(resources.sessionmaker, limit, before)
    last = page.next
    return GoldAnswersPage(
        gold_answers=[_out(summary) for summary in page.items],
        next_cursor=encode_cursor(last.created_at, last.id) if last else None,
    )


@router.delete(
    "/{gold_id}",
    responses=error_responses(*LIMIT_ERRORS, *ADMIN_ERRORS, GoldAnswerNotFound, ValidationFailed),
)
async def admin_revoke_gold_answer(gold_id: uuid.UUID, resources: ResourcesDep) -> GoldAnswerOut:
    """Revoke a gold answer: no worker replays it from now on. Revoking it again changes
    nothing, and a 5-star rating of its answer does not bring it back."""
    try:
        revoked = await gold.revoke_gold(resources.sessionmaker, resources.redis, gold_id)
    except gold.GoldAnswerNotFound as error:
        raise GoldAnswerNotFound from error
    return _out(revoked)
