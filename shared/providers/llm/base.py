"""The LLM Protocol: writes a grounded answer to a question, streaming it as it goes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from shared.providers.llm.chat import ChatMessage
from shared.providers.vectorstore.base import Passage


class AnswerMode(StrEnum):
    GENERATED = "generated"  # written by a language model
    EXTRACTIVE = "extractive"  # sentences quoted from the passages, no model involved


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    language: str  # the one to answer in
    passages: Sequence[Passage]
    history: Sequence[ChatMessage] = field(default_factory=tuple)


@dataclass(frozen=True)
class WrittenAnswer:
    text: str
    language: str  # what the text is written in: English where it quotes the knowledge base


class AnswerOutput(Protocol):
    async def token(self, text: str) -> None: ...

    async def reset(self, reason: str) -> None:
        """Everything sent so far is void (a retried or fallen-back provider call)."""
        ...


class LLM(Protocol):
    name: str
    mode: AnswerMode

    async def write_answer(self, request: AnswerRequest, out: AnswerOutput) -> WrittenAnswer:
        """Send the answer to `out` chunk by chunk; return the whole answer."""
        ...
