"""Offline answerer: quotes the passage sentences that best match the question, with citations.

No language model is involved; `done.mode` says "extractive" so clients can label the answer.
The quotes stay in the knowledge base's English; in another language a note says so first.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.providers.llm.base import AnswerMode, AnswerOutput, AnswerRequest, WrittenAnswer
from shared.providers.vectorstore.base import Passage
from shared.text.language import Language
from shared.text.localized import localized
from shared.text.terms import content_terms, split_sentences

MAX_SENTENCE_CHARS = 400
MIN_SENTENCE_WORDS = 5
# Passages scoring under this share of the best one are too weak to quote from.
RELATIVE_SCORE_CUTOFF = 0.5
LEAD_SENTENCE_BONUS = 0.5
_WORD_WITH_SPACE = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class _Candidate:
    passage_rank: int
    position: int
    text: str
    score: float


def _quotable(sentence: str) -> bool:
    """A whole statement of sensible length: not a list's lead-in nor a question heading."""
    return (
        len(sentence) <= MAX_SENTENCE_CHARS
        and len(sentence.split()) >= MIN_SENTENCE_WORDS
        and sentence.endswith((".", "!"))
    )


def _candidates(question: str, passages: Sequence[Passage]) -> list[_Candidate]:
    wanted = set(content_terms(question))
    candidates = []
    best_score = max((passage.score for passage in passages), default=0.0)
    for rank, passage in enumerate(passages):
        if passage.score < RELATIVE_SCORE_CUTOFF * best_score:
            continue
        for position, sentence in enumerate(split_sentences(passage.body)):
            if not _quotable(sentence):
                continue
            overlap = len(wanted & set(content_terms(sentence)))
            opens_best_passage = rank == 0 and position == 0
            if overlap == 0 and not opens_best_passage:
                continue  # off-topic sentences are never quoted
            lead = LEAD_SENTENCE_BONUS if position == 0 else 0.0
            candidates.append(_Candidate(rank, position, sentence, overlap + lead - 0.1 * rank))
    return candidates


def compose_extractive_answer(
    question: str, passages: Sequence[Passage], max_sentences: int = 4
) -> str | None:
    """The best-matching sentences in reading order, each passage's group ending in [n]; None
    when no sentence is worth quoting."""
    candidates = _candidates(question, passages)
    if not candidates:
        return None
    best = sorted(candidates, key=lambda c: c.score, reverse=True)[:max_sentences]
    chosen = sorted(best, key=lambda c: (c.passage_rank, c.position))
    groups: dict[int, list[str]] = {}
    for candidate in chosen:
        groups.setdefault(candidate.passage_rank, []).append(candidate.text)
    return " ".join(f"{' '.join(sentences)} [{rank + 1}]" for rank, sentences in groups.items())


def extractive_answer(
    question: str, language: str, passages: Sequence[Passage], max_sentences: int = 4
) -> WrittenAnswer:
    """The quotes, after a note in `language` that they are English; or, in `language`, that
    nothing fits."""
    texts = localized(language)
    quoted = compose_extractive_answer(question, passages, max_sentences)
    if quoted is None:
        return WrittenAnswer(texts.nothing_quotable, language)
    if texts.sources_in_english is None:
        return WrittenAnswer(quoted, Language.EN.value)
    return WrittenAnswer(f"{texts.sources_in_english}\n\n{quoted}", Language.EN.value)


class ExtractiveAnswerer:
    name = "extractive"
    mode = AnswerMode.EXTRACTIVE

    def __init__(self, words_per_second: float = 0.0, max_sentences: int = 4) -> None:
        self._delay = 1.0 / words_per_second if words_per_second > 0 else 0.0
        self._max_sentences = max_sentences

    async def write_answer(self, request: AnswerRequest, out: AnswerOutput) -> WrittenAnswer:
        answer = extractive_answer(
            request.question, request.language, request.passages, self._max_sentences
        )
        for match in _WORD_WITH_SPACE.finditer(answer.text):
            await out.token(match.group(0))
            if self._delay:
                await asyncio.sleep(self._delay)
        return answer
