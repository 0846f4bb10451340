"""Follow-up questions made standalone before retrieval, so "How is it treated?" after a question
on endometriosis searches for endometriosis.

With a chat model, the model rewrites the follow-up from the recent turns. Offline, a rule
(docs/architecture.md, "Follow-up questions") over the latest earlier question:
- a question that names no focus of its own ("And the symptoms?") or points back with a pronoun
  ("How is it treated?", "Does it affect IVF?") carries the earlier question's focus terms;
- a question that opens with "what about" or "and" and names its own focus ("What about
  endometriosis?") carries the earlier question's aspect terms ("symptoms") instead.
A focus term is a content word that is not a generic aspect ("symptoms", "treatment", "normal").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Protocol

from shared.providers.llm.chain import ModelChain
from shared.providers.llm.chat import ChatMessage
from shared.providers.llm.prompts import condense_messages
from shared.resilience.errors import ProviderFailure
from shared.text.terms import ASPECT_WORDS, SPANISH_FUNCTION_WORDS, content_terms, words

log = logging.getLogger(__name__)

CONDENSE_MAX_TOKENS = 120
# Words that point back to something named earlier (English and Spanish); not "that", most
# often a relative pronoun ("foods that help").
REFERRING_WORDS = frozenset(
    """it its itself this these those they them their theirs he she him her his
    ello eso esto esa ese esas esos ella ellos ellas su sus""".split()
)
FOLLOW_UP_OPENERS = ("what about", "how about", "and ", "also ", "y ", "¿y ")


class FollowUpCondenser(Protocol):
    name: str

    async def standalone(self, question: str, history: Sequence[ChatMessage]) -> str:
        """`question` rewritten to stand alone, given the earlier turns (oldest first)."""
        ...


def _terms(text: str) -> list[str]:
    return [term for term in content_terms(text) if term not in SPANISH_FUNCTION_WORDS]


def focus_terms(text: str) -> list[str]:
    """The content terms of `text` that name what it is about, in order, each once."""
    return list(dict.fromkeys(t for t in _terms(text) if t not in ASPECT_WORDS))


def aspect_terms(text: str) -> list[str]:
    """The content terms of `text` that name what it asks about its focus."""
    return list(dict.fromkeys(t for t in _terms(text) if t in ASPECT_WORDS))


def points_back(question: str) -> bool:
    return any(word in REFERRING_WORDS for word in words(question))


def opens_as_follow_up(question: str) -> bool:
    return question.strip().lower().lstrip("¿¡").startswith(FOLLOW_UP_OPENERS)


def earlier_question(history: Sequence[ChatMessage]) -> str | None:
    """The latest earlier question that names a focus."""
    return next(
        (m.content for m in reversed(history) if m.role == "user" and focus_terms(m.content)),
        None,
    )


def carried_terms(question: str, earlier: str) -> list[str]:
    """What `question` takes over from `earlier` (nothing when it stands alone)."""
    if points_back(question) or not focus_terms(question):
        carried = focus_terms(earlier)
    elif opens_as_follow_up(question):
        carried = aspect_terms(earlier)
    else:
        return []
    own = set(_terms(question))
    return [term for term in carried if term not in own]


class FocusCarryOver:
    """Offline: the terms a follow-up takes over from the earlier question, appended to it."""

    name = "focus-carry-over"

    async def standalone(self, question: str, history: Sequence[ChatMessage]) -> str:
        earlier = earlier_question(history)
        carried = carried_terms(question, earlier) if earlier else []
        return f"{question} {' '.join(carried)}" if carried else question


_ANSWER_LINE = re.compile(r"^\s*(standalone question|question)\s*:\s*", re.IGNORECASE)


class ModelCondenser:
    """A chat model rewrites the follow-up; the offline rule when the model is unavailable."""

    def __init__(self, chain: ModelChain) -> None:
        self._chain = chain
        self.name = chain.name
        self._fallback = FocusCarryOver()

    async def standalone(self, question: str, history: Sequence[ChatMessage]) -> str:
        if not history:
            return question
        try:
            completion = await self._chain.complete(
                condense_messages(question, history), CONDENSE_MAX_TOKENS
            )
        except ProviderFailure as failure:
            log.warning("condensing unavailable (%s); using the offline rule", failure.kind.value)
            return await self._fallback.standalone(question, history)
        rewritten = _ANSWER_LINE.sub("", completion.text.strip()).strip()
        return rewritten or question
