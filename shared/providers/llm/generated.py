"""Answers drafted by a chat model (through its fallback chain), grounded in the passages."""

from __future__ import annotations

from shared.providers.llm.base import AnswerMode, AnswerOutput, AnswerRequest, WrittenAnswer
from shared.providers.llm.chain import ModelChain
from shared.providers.llm.prompts import draft_messages

RESTART_REASON = "provider_retry"


class GeneratedAnswerer:
    mode = AnswerMode.GENERATED

    def __init__(self, chain: ModelChain, max_tokens: int) -> None:
        self._chain = chain
        self._max_tokens = max_tokens
        self.name = chain.name

    async def write_answer(self, request: AnswerRequest, out: AnswerOutput) -> WrittenAnswer:
        messages = draft_messages(
            request.question, request.language, request.passages, request.history
        )

        async def restart() -> None:
            await out.reset(RESTART_REASON)

        completion = await self._chain.stream(messages, self._max_tokens, out.token, restart)
        return WrittenAnswer(completion.text, request.language)
