"""The LLM Protocol: a streamed, grounded answer to a question."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from shared.providers.vectorstore.base import Passage


class AnswerMode(StrEnum):
    GENERATED = "generated"  # written by a language model
    EXTRACTIVE = "extractive"  # sentences quoted from the passages, no model involved


@dataclass(frozen=True)
class ChatTurn:
    role: str
    content: str


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    language: str
    passages: Sequence[Passage]
    history: Sequence[ChatTurn] = field(default_factory=tuple)


class LLM(Protocol):
    name: str
    mode: AnswerMode
    # The one language its answers come in, or None when it answers in the user's language.
    answer_language: str | None

    def stream_answer(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Text chunks of the answer as they are produced."""
        ...
