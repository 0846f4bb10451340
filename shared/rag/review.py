"""The review step: the small model checks the draft and proposes follow-up questions.

Its JSON reply is validated; one invalid reply gets one repair request, and a second invalid
reply keeps the draft as it is with suggestions from the passages (never a failed answer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, Field, ValidationError

from shared.providers.llm.base import WrittenAnswer
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.chat import ChatMessage
from shared.providers.llm.prompts import review_messages
from shared.providers.vectorstore.base import Passage
from shared.rag.suggestions import suggest_follow_ups
from shared.resilience.errors import ProviderFailure

log = logging.getLogger(__name__)

REVIEW_MAX_TOKENS = 900


class ReviewReply(BaseModel):
    revised_response: str = Field(min_length=1)
    suggested_questions: list[str] = Field(min_length=1, max_length=5)


@dataclass(frozen=True)
class Review:
    answer: str
    answer_language: str  # what `answer` is written in
    suggestions: list[str]  # in the user's language


class Reviewer(Protocol):
    name: str

    async def review(
        self, question: str, draft: WrittenAnswer, language: str, passages: Sequence[Passage]
    ) -> Review:
        """The draft as the user, who reads `language`, will read it, and follow-ups."""
        ...


class PassageReviewer:
    """Offline: keeps the draft and suggests follow-ups from the passages' topics."""

    name = "passages"

    async def review(
        self, question: str, draft: WrittenAnswer, language: str, passages: Sequence[Passage]
    ) -> Review:
        return Review(draft.text, draft.language, suggest_follow_ups(question, passages, language))


class ModelReviewer:
    def __init__(self, chain: ModelChain) -> None:
        self._chain = chain
        self.name = chain.name

    async def _reply(self, messages: list[ChatMessage]) -> ReviewReply | None:
        completion = await self._chain.complete(messages, REVIEW_MAX_TOKENS, json_mode=True)
        try:
            return ReviewReply.model_validate_json(completion.text)
        except ValidationError:
            return None

    async def review(
        self, question: str, draft: WrittenAnswer, language: str, passages: Sequence[Passage]
    ) -> Review:
        try:
            reply = await self._reply(review_messages(question, draft.text, language))
            if reply is None:
                repair = review_messages(question, draft.text, language, repair=True)
                reply = await self._reply(repair)
        except ProviderFailure as failure:
            log.warning("review unavailable (%s); keeping the draft", failure.kind.value)
            reply = None
        if reply is None:
            return await PassageReviewer().review(question, draft, language, passages)
        # The review is asked for the answer and its follow-ups in `language`.
        return Review(reply.revised_response.strip(), language, reply.suggested_questions[:3])
