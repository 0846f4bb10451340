"""Answers that stay on the asked focus (docs/architecture.md, "Grounding").

Of the passages retrieval found, only those on the question's focus may be quoted, cited or
shown to a chat model, and within them no sentence about another condition. A question on a
topic the knowledge base does not cover is declined instead of answered from a neighbouring
one: when it names no focus the knowledge base has, when no passage found is on its focus, or
when a word it asks about (not a generic word of the
domain nor of how people ask, but one medical texts use) appears in none of the passages on
its focus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from shared.knowledge.focus import FocusLexicon, tokens
from shared.knowledge.vocabulary import medical_words
from shared.providers.vectorstore.base import Passage
from shared.text.terms import ASPECT_WORDS, STOPWORDS, split_sentences

# Words of the domain and of how people ask, which say nothing of what a question is about.
GENERIC_WORDS = frozenset(
    tokens(
        """woman women man men female male girl boy baby babies child children kid kids
        fertility fertile conceive conceiving conception trying try get getting got become
        becoming doctor doctors gp specialist nurse clinic body health healthy age aged old
        year years month months week weeks day days time times wife husband partner
        girlfriend boyfriend mom mum mother dad father family sister daughter son friend
        feel feeling felt worried worry worrying scared afraid anxious concerned nervous
        problem problems issue issues condition conditions disease diseases disorder
        disorders thing things lot lots people person someone anyone anything something
        really actually just ok okay yes hi hello please thanks thank want wanted would
        like go going said says say told think thought heard read found find see look
        looking mean meaning called call name still ever even much many any every all
        some also one two first last next new recently currently now today already
        information info question questions answer explain explanation details detail
        exactly kind sort general generally basically wondering wonder curious help
        possible likely chance chances able live living life lead leads cause
        recommend recommended suggest advice advise happens happen okay normal option
        options choice choices"""
    )
)
# A prefix this long stands for a word's forms ("ovulate", "ovulation").
STEM_CHARS = 6


def _stem(word: str) -> str:
    return word[:STEM_CHARS]


_ASPECTS = frozenset(tokens(" ".join(ASPECT_WORDS)))
# As `tokens` spells them ("does" → "doe").
SKIPPED = frozenset(tokens(" ".join(STOPWORDS))) | GENERIC_WORDS | _ASPECTS
# A longer aspect's forms start with its stem ("treatable", "diagnostic"); a short one's would
# catch other words ("test" in "testicular").
ASPECT_STEMS = tuple(sorted({_stem(word) for word in _ASPECTS if len(word) >= 5}))


@dataclass(frozen=True)
class Grounding:
    passages: list[Passage]  # on the focus, best first, other conditions' sentences removed
    foci: list[str]  # the question's
    uncovered: list[str]  # words asked about that no passage on the focus mentions

    @property
    def declined(self) -> bool:
        return not self.passages

    def audit(self) -> dict[str, object]:
        return {"foci": self.foci, "declined": self.declined, "uncovered": self.uncovered}


def question_foci(lexicon: FocusLexicon, question: str) -> list[str]:
    """The specific foci the question names; the broad ones only when it names no other."""
    named = lexicon.mentions(question)
    return [f for f in named if not lexicon.is_broad(f)] or named


def _within(lexicon: FocusLexicon, focus: str, foci: Sequence[str]) -> bool:
    """`focus` is one of `foci`, or part of a broad one ("male infertility" of
    "infertility")."""
    if focus in foci:
        return True
    words = set(focus.split())
    return any(lexicon.is_broad(f) and set(f.split()) <= words for f in foci)


def asked_words(lexicon: FocusLexicon, question: str) -> list[str]:
    """The medical words the question asks about beyond its foci and aspects (names, typos
    and small talk are in no medical text)."""
    naming = lexicon.naming_words(question)
    medical = medical_words()
    return list(
        dict.fromkeys(
            word
            for word in tokens(question)
            if word in medical and word not in naming and word not in SKIPPED
            and not word.startswith(ASPECT_STEMS)
        )
    )  # fmt: skip


def _vocabulary(passages: Sequence[Passage]) -> set[str]:
    text = " ".join(f"{p.title} {p.question} {p.body}" for p in passages)
    return {_stem(word) for word in tokens(text)}


def _about_other_condition(
    lexicon: FocusLexicon, sentence: str, own: Sequence[str], passage_focus: str
) -> bool:
    """The sentence names a specific condition other than the asked and the passage's own,
    and not these."""
    named = lexicon.mentions(sentence)
    mentions_own = any(_within(lexicon, f, own) or f == passage_focus for f in named)
    other = [f for f in named if not lexicon.is_broad(f) and f not in own and f != passage_focus]
    return bool(other) and not mentions_own


def _on_focus_sentences(lexicon: FocusLexicon, passage: Passage, foci: Sequence[str]) -> Passage:
    focus = lexicon.passage_focus(passage.title)
    kept = [
        sentence
        for sentence in split_sentences(passage.body)
        if not _about_other_condition(lexicon, sentence, foci, focus)
    ]
    return replace(passage, body=" ".join(kept))


def ground(lexicon: FocusLexicon, question: str, candidates: Sequence[Passage]) -> Grounding:
    """The candidates (best first) that may answer `question`; none when it is declined."""
    foci = question_foci(lexicon, question)
    on_focus = [p for p in candidates if _within(lexicon, lexicon.passage_focus(p.title), foci)]
    uncovered = _missing(asked_words(lexicon, question), on_focus)
    if uncovered or not on_focus:
        return Grounding([], foci, uncovered)
    trimmed = [_on_focus_sentences(lexicon, passage, foci) for passage in on_focus]
    return Grounding([p for p in trimmed if p.body], foci, [])


def _missing(asked: Sequence[str], passages: Sequence[Passage]) -> list[str]:
    vocabulary = _vocabulary(passages)
    return [word for word in asked if _stem(word) not in vocabulary]
