"""The messages sent to chat models for each pipeline role."""

from __future__ import annotations

from collections.abc import Sequence

from shared.providers.llm.chat import ChatMessage
from shared.providers.vectorstore.base import Passage
from shared.text.language import LANGUAGE_NAMES, Language

# Part of the response-cache key: change it when the prompts, or Izana's own texts
# (shared/text/localized.py), change.
PROMPTS_VERSION = "2"

# Izana closes every answer with its own "not medical advice" line (shared/text/localized.py),
# so the models are told not to write one.
DRAFT_SYSTEM = (
    "You are Izana, a warm and careful assistant for fertility and reproductive health. "
    "Answer only from the numbered passages below; cite them as [1], [2] after the sentences "
    "they support. When the passages do not answer the question, say so plainly. Do not "
    "diagnose or prescribe; suggest speaking with a fertility specialist where it matters. "
    "Write the whole answer in {language}, whatever the language of the question and of the "
    "passages (they are in English), in at most 200 words, and end it without a disclaimer: "
    "one is added after it.\n\nPassages:\n{passages}"
)
REVIEW_SYSTEM = (
    "You review a draft answer of a fertility assistant before a patient reads it. Question: "
    "{question}\nCheck it is safe (no diagnosis, no dosing instructions, no false certainty), "
    "kind, grounded in the cited passages and written wholly in {language}; fix what is not "
    "(translate any part in another language into {language}), keep the [n] citations and add "
    "no disclaimer. Then write three short follow-up questions the patient may ask next, "
    'in {language}. Reply with only a JSON object: {{"revised_response": "...", '
    '"suggested_questions": ["...", "...", "..."]}}. The user message is the draft.'
)
REVIEW_REPAIR = (
    "\nYour previous reply was not the JSON object asked for. Reply with only a JSON object "
    'with the keys "revised_response" (a string) and "suggested_questions" (three strings).'
)
TRANSLATE_SYSTEM = (
    "Translate the user's message from {language} into English for a medical search. Reply "
    "with the translation only."
)

CONDENSE_SYSTEM = (
    "Rewrite the user's last question so that it can be understood without the conversation "
    "before it: name what it refers to. Keep its language and its meaning; do not answer it. "
    "Reply with the question only.\n\nConversation:\n{conversation}"
)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(Language(code), "English") if code in set(Language) else "English"


def numbered_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(
        f"[{number}] {passage.title}: {passage.body}"
        for number, passage in enumerate(passages, start=1)
    )


def draft_messages(
    question: str,
    language: str,
    passages: Sequence[Passage],
    history: Sequence[ChatMessage] = (),
) -> list[ChatMessage]:
    system = DRAFT_SYSTEM.format(
        language=language_name(language), passages=numbered_passages(passages) or "(none)"
    )
    return [ChatMessage("system", system), *history, ChatMessage("user", question)]


def review_messages(
    question: str, draft: str, language: str, repair: bool = False
) -> list[ChatMessage]:
    """The draft is the user message; a repair request repeats it with a firmer instruction."""
    system = REVIEW_SYSTEM.format(question=question, language=language_name(language))
    return [
        ChatMessage("system", system + (REVIEW_REPAIR if repair else "")),
        ChatMessage("user", draft),
    ]


def translation_messages(text: str, language: str) -> list[ChatMessage]:
    system = TRANSLATE_SYSTEM.format(language=language_name(language))
    return [ChatMessage("system", system), ChatMessage("user", text)]


def condense_messages(question: str, history: Sequence[ChatMessage]) -> list[ChatMessage]:
    conversation = "\n".join(f"{message.role}: {message.content}" for message in history)
    system = CONDENSE_SYSTEM.format(conversation=conversation)
    return [ChatMessage("system", system), ChatMessage("user", question)]
