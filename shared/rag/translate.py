"""Questions in other languages are translated to English for retrieval (the knowledge base
is English); the answer itself is drafted directly in the user's language."""

from __future__ import annotations

import logging
from typing import Protocol

from shared.providers.llm.chain import ModelChain
from shared.providers.llm.prompts import translation_messages
from shared.resilience.errors import ProviderFailure
from shared.text.language import Language

log = logging.getLogger(__name__)

TRANSLATION_MAX_TOKENS = 300


class QueryTranslator(Protocol):
    name: str

    async def to_english(self, text: str, language: str) -> str: ...


class NoTranslation:
    """Offline: the query is searched as written."""

    name = "none"

    async def to_english(self, text: str, language: str) -> str:
        return text


class ModelTranslator:
    def __init__(self, chain: ModelChain) -> None:
        self._chain = chain
        self.name = chain.name

    async def to_english(self, text: str, language: str) -> str:
        if language == Language.EN:
            return text
        messages = translation_messages(text, language)
        try:
            completion = await self._chain.complete(messages, TRANSLATION_MAX_TOKENS)
        except ProviderFailure as failure:
            log.warning("translation unavailable (%s); searching as written", failure.kind.value)
            return text
        return completion.text.strip() or text
