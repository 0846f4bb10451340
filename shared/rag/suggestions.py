"""Three follow-up questions drawn from the topics of the passages the answer used, in the
user's language (the templates are in shared/text/localized.py)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.providers.vectorstore.base import Passage
from shared.text.localized import localized

# Words that show which question type the user already asked.
ASKED_TYPE_HINTS = {
    "causes": ("cause", "why"),
    "symptoms": ("symptom", "sign"),
    "exams and tests": ("diagnos", "test"),
    "treatment": ("treat", "therap", "cure"),
    "susceptibility": ("risk",),
    "outlook": ("outlook", "prognosis"),
    "prevention": ("prevent",),
}


def _normalised(question: str) -> str:
    return " ".join(question.lower().rstrip("?").split())


def asked_types(question: str) -> set[str]:
    lowered = question.lower()
    return {kind for kind, hints in ASKED_TYPE_HINTS.items() if any(h in lowered for h in hints)}


def suggest_follow_ups(
    question: str, passages: Sequence[Passage], language: str, count: int = 3
) -> list[str]:
    """Questions in `language` about the cited topics that the answer's top passage did not
    cover."""
    texts = localized(language)
    covered = asked_types(question)
    if passages:
        covered.add(passages[0].question_type)
    seen = {_normalised(question)}
    suggestions: list[str] = []
    topics = dict.fromkeys(passage.title for passage in passages)
    candidates = [
        template.format(focus=topic)
        for topic in topics
        for question_type, template in texts.follow_ups.items()
        if question_type not in covered
    ]
    for candidate in [*candidates, *texts.general_follow_ups]:
        key = _normalised(candidate)
        if key not in seen:
            seen.add(key)
            suggestions.append(candidate)
        if len(suggestions) == count:
            break
    return suggestions
